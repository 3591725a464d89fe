package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailurePolicyTest {

    @Test
    void backoffDoublesUpToItsCap() {
        FailurePolicy p = FailurePolicy.retry(6, Duration.ofMillis(100), Duration.ofMillis(500));
        assertThat(p.backoff(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(p.backoff(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(p.backoff(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(p.backoff(4)).isEqualTo(Duration.ofMillis(500));
        assertThat(p.backoff(6)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void stopIsTheDefaultAndRetriesNothing() {
        assertThat(CdcConfig.builder().database("d").user("u").tables("t").build().failurePolicy()).isEqualTo(FailurePolicy.stop());
        assertThat(FailurePolicy.stop().maxRetries()).isZero();
        assertThat(FailurePolicy.stop().deadLetter()).isEmpty();
        assertThat(FailurePolicy.stop()).hasToString("stop");
    }

    @Test
    void nonsenseIsRejected() {
        assertThatThrownBy(() -> FailurePolicy.retry(0, Duration.ZERO, Duration.ZERO)).hasMessage("maxRetries must be at least 1, not 0");
        assertThatThrownBy(() -> FailurePolicy.retry(1, Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("backoff must satisfy 0 <= initialBackoff <= maxBackoff, not PT2S and PT1S");
    }
}
