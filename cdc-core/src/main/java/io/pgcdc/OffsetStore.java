package io.pgcdc;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the engine keeps its position (the offset of the last acknowledged event), so that a restart
 * resumes right after it.
 */
public final class OffsetStore {

    private static final OffsetStore MEMORY = new OffsetStore(null);

    private final Path file;

    private OffsetStore(Path file) {
        this.file = file;
    }

    /**
     * Offsets in a file that survives restarts; its directory is created when missing. One file per
     * engine: two engines must never share one.
     */
    public static OffsetStore file(Path file) {
        Objects.requireNonNull(file, "file");
        return new OffsetStore(file.toAbsolutePath().normalize());
    }

    /**
     * Offsets in memory, lost when the engine stops: a new engine starts from the replication slot's
     * position (and, with {@link SnapshotMode#INITIAL}, snapshots again). For tests and throwaway use.
     */
    public static OffsetStore memory() {
        return MEMORY;
    }

    /** The file, for a file store. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OffsetStore && Objects.equals(file, ((OffsetStore) o).file);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(file);
    }

    @Override
    public String toString() {
        return file == null ? "memory" : "file:" + file;
    }
}
