package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void printsAndParsesAsPostgresDoes() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertThat(lsn.asLong()).isEqualTo(0x16B374D848L);
        assertThat(lsn).hasToString("16/B374D848").isEqualTo(Lsn.of(0x16B374D848L));
        assertThat(Lsn.of(0)).hasToString("0/0");
    }

    @Test
    void ordersAsUnsignedNumbers() {
        assertThat(Lsn.parse("FFFFFFFF/0")).isGreaterThan(Lsn.parse("1/0"));
        assertThat(Lsn.parse("0/10")).isLessThan(Lsn.parse("0/11"));
    }

    @Test
    void rejectsTextThatIsNotAnLsn() {
        assertThatThrownBy(() -> Lsn.parse("16B374D848")).hasMessageStartingWith("not an LSN: '16B374D848'");
        assertThatThrownBy(() -> Lsn.parse("1/XYZ")).hasMessageStartingWith("not an LSN: '1/XYZ'");
    }
}
