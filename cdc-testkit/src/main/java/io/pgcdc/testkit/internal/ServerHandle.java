package io.pgcdc.testkit.internal;

/** One running PostgreSQL server as the test kit sees it. */
public interface ServerHandle extends AutoCloseable {

    String host();

    int port();

    String user();

    String password();

    /** A database that always exists, used to create and drop test databases. */
    String adminDatabase();

    /** A short description for {@code toString}, e.g. "embedded PostgreSQL 17". */
    String description();

    @Override
    void close() throws java.io.IOException;
}
