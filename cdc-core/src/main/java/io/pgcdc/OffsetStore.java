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
     * Offsets in a file that survives restarts and crashes: every save writes a new file, forces it to
     * disk and renames it into place, so a crash leaves the old or the new offsets, never a torn file.
     * A missing file means "first start"; a corrupt one stops {@link CdcEngine#start()} with an error
     * instead of silently starting over. Its directory is created when missing. One file per engine.
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
