package io.pgcdc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How the snapshot splits a table into block ranges, one query each. */
class SnapshotRangesTest {

    private static final long PLAIN = 'r';
    private static final long PARTITIONED = 'p';

    @Test
    void aLargePlainTableOnPostgres14IsSplitIntoContiguousRangesEndingOpen() {
        List<long[]> ranges = SnapshotSession.ranges(new long[] {PLAIN, 40_000, 1}, 170_000, 4);
        assertThat(ranges).hasSizeGreaterThan(1);
        assertThat(ranges.get(0)[0]).isZero();
        for (int i = 1; i < ranges.size(); i++) {
            assertThat(ranges.get(i)[0]).as("range %d starts where %d ends", i, i - 1).isEqualTo(ranges.get(i - 1)[1]);
        }
        // The last range has no end: rows on pages added after the size was taken are read too.
        assertThat(ranges.get(ranges.size() - 1)[1]).isEqualTo(-1);
        assertThat(ranges.get(ranges.size() - 1)[0]).isLessThan(40_000);
    }

    @Test
    void smallTablesOldServersPartitionedTablesAndOneReaderReadWholeTables() {
        assertThat(SnapshotSession.ranges(new long[] {PLAIN, 100, 1}, 170_000, 4)).singleElement().satisfies(r -> assertThat(r).containsExactly(-1, -1));
        assertThat(SnapshotSession.ranges(new long[] {PLAIN, 40_000, 1}, 130_000, 4)).singleElement().satisfies(r -> assertThat(r).containsExactly(-1, -1));
        assertThat(SnapshotSession.ranges(new long[] {PARTITIONED, 0, 1}, 170_000, 4)).singleElement().satisfies(r -> assertThat(r).containsExactly(-1, -1));
        assertThat(SnapshotSession.ranges(new long[] {PLAIN, 40_000, 1}, 170_000, 1)).singleElement().satisfies(r -> assertThat(r).containsExactly(-1, -1));
    }
}
