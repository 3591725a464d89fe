package io.pgcdc.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkloadTest {

    @Test
    void defaultsAreTheDocumentedConstants() {
        Workload w = Workload.builder().build();
        assertThat(w.insertPercent()).isEqualTo(Workload.DEFAULT_INSERT_PERCENT);
        assertThat(w.updatePercent()).isEqualTo(Workload.DEFAULT_UPDATE_PERCENT);
        assertThat(w.deletePercent()).isEqualTo(Workload.DEFAULT_DELETE_PERCENT);
        assertThat(w.rowsPerTransaction()).isEqualTo(Workload.DEFAULT_ROWS_PER_TRANSACTION);
        assertThat(w.seed()).isEqualTo(Workload.DEFAULT_SEED);
        assertThat(w.rate()).isZero();
        assertThat(w.count()).isEmpty();
        assertThat(w.duration()).isEmpty();
        assertThat(w.insertMethod()).isEqualTo(Workload.InsertMethod.COPY);
    }

    @Test
    void nonsenseIsRejectedWithTheReason() {
        assertThatThrownBy(() -> Workload.builder().count(0)).hasMessage("count must be positive, not 0");
        assertThatThrownBy(() -> Workload.builder().rate(-5)).hasMessageStartingWith("rate must be 0 (full speed) or a positive");
        assertThatThrownBy(() -> Workload.builder().rate(Double.NaN)).hasMessageStartingWith("rate must be");
        assertThatThrownBy(() -> Workload.builder().duration(Duration.ZERO)).hasMessage("duration must be positive, not PT0S");
        assertThatThrownBy(() -> Workload.builder().rowsPerTransaction(0))
                .hasMessage("rowsPerTransaction must be between 1 and 1000000, not 0");
        assertThatThrownBy(() -> Workload.builder().mix(50, 50, 50).build())
                .hasMessage("mix must be three non-negative percentages adding up to 100, not 50/50/50");
        assertThatThrownBy(() -> Workload.builder().mix(0, 50, 50).build()).hasMessageStartingWith("mix needs some inserts");
        assertThatThrownBy(() -> Workload.builder().count(5).duration(Duration.ofSeconds(1)).build())
                .hasMessage("set count or duration, not both");
    }
}
