package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ArrayTextTest {

    @Test
    void quotedElementsKeepDelimitersEscapesAndTheWordNull() {
        assertThat(ArrayText.parse("{\"a,b\",\"c\\\"d\",\"NULL\",NULL,\"\",\" x \",plain}", "text"))
                .containsExactly("a,b", "c\"d", "NULL", null, "", " x ", "plain");
    }

    @Test
    void dimensionsNestAndExplicitBoundsAreSkipped() {
        assertThat(ArrayText.parse("{{1,2},{3,NULL}}", "int4")).isEqualTo(List.of(List.of(1, 2), Arrays.asList(3, null)));
        assertThat(ArrayText.parse("[0:1]={7,8}", "int4")).isEqualTo(List.of(7, 8));
        assertThat(ArrayText.parse("{}", "int4")).isEmpty();
    }

    @Test
    void elementsReadAsTheirTypes() {
        assertThat(ArrayText.parse("{t,f}", "bool")).containsExactly(true, false);
        assertThat(ArrayText.parse("{9223372036854775807}", "int8")).containsExactly(Long.MAX_VALUE);
        assertThat(ArrayText.parse("{1.5,NaN,-Infinity}", "float8")).containsExactly(1.5, Double.NaN, Double.NEGATIVE_INFINITY);
        assertThat(ArrayText.parse("{1.50,NaN,Infinity}", "numeric"))
                .containsExactly(new BigDecimal("1.50"), Double.NaN, Double.POSITIVE_INFINITY);
        assertThat(ArrayText.parse("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "uuid"))
                .containsExactly(UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
        assertThat((byte[]) ArrayText.parse("{\"\\\\x00ff\"}", "bytea").get(0)).containsExactly(0, 255);
        assertThat(ArrayText.parse("{2024-02-29,\"0044-03-15 BC\",infinity}", "date"))
                .containsExactly(LocalDate.of(2024, 2, 29), LocalDate.of(-43, 3, 15), LocalDate.MAX);
        assertThat(ArrayText.parse("{\"2024-01-01 12:34:56.123456\"}", "timestamp"))
                .containsExactly(LocalDateTime.of(2024, 1, 1, 12, 34, 56, 123_456_000));
        assertThat(ArrayText.parse("{\"2023-12-31 20:30:00-03:30\",\"2024-01-01 05:30:00+05:30\"}", "timestamptz"))
                .containsExactly(OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), OffsetDateTime.of(2024, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
        assertThat(ArrayText.parse("{00:00:00,24:00:00}", "time")).containsExactly(LocalTime.MIDNIGHT, LocalTime.MAX);
        assertThat(ArrayText.parse("{12:34:56+05:30}", "timetz")).containsExactly(OffsetTime.of(12, 34, 56, 0, ZoneOffset.ofHoursMinutes(5, 30)));
        assertThat(ArrayText.parse("{happy,sad}", "mood")).containsExactly("happy", "sad");
    }

    @Test
    void textThatIsNotAnArrayIsRejected() {
        assertThatThrownBy(() -> ArrayText.parse("1,2", "int4")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an array");
    }
}
