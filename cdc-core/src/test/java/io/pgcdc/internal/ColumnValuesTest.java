package io.pgcdc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.connector.postgresql.connection.DateTimeFormat;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The snapshot's timestamp parsing gives what Debezium's converter computes from the same text, or leaves it to it. */
class ColumnValuesTest {

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-28 23:59:59", "2026-11-28 00:00:00.5", "0001-01-01 00:00:00.000001", "1582-10-04 12:30:00.123456",
        "2024-02-29 13:14:15.1234", "9999-12-31 23:59:59.999999"})
    void timestampsAsTheConverterReadsThem(String text) {
        LocalDateTime expected = LocalDateTime.ofInstant(DateTimeFormat.get().timestampToInstant(text), ZoneOffset.UTC);
        assertThat(ColumnValues.localDateTime(text, text.length())).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-11-28 23:59:59+00", "2026-11-28 00:00:00.5+05:30", "1900-01-01 00:00:00-00:09:21",
        "2024-02-29 13:14:15.1234-03", "0001-01-01 00:00:00+00"})
    void timestampsWithZoneAsTheConverterReadsThem(String text) {
        assertThat(ColumnValues.offsetDateTime(text))
                .isEqualTo(DateTimeFormat.get().timestampWithTimeZoneToOffsetDateTime(text).withOffsetSameInstant(ZoneOffset.UTC));
    }

    @ParameterizedTest
    @ValueSource(strings = {"infinity", "-infinity", "0044-03-15 12:00:00 BC", "10000-01-01 00:00:00", "2026-11-28T23:59:59",
        "2026-11-28 23:59:59.1234567", "2026-11-28 23:59:59+00 BC"})
    void anyOtherTextIsLeftToTheConverter(String text) {
        assertThat(ColumnValues.localDateTime(text, text.length())).isNull();
        assertThat(ColumnValues.offsetDateTime(text)).isNull();
    }
}
