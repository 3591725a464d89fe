package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/** Rows built by hand for users' unit tests read exactly as rows Debezium delivers. */
class RowTest {

    private static final TableId TABLE = TableId.parse("public.t");
    private static final UUID UID = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");

    private static Map<String, Object> columns(Object... namesAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            map.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return map;
    }

    private static Row row(Object... namesAndValues) {
        return Row.of(TABLE, columns(namesAndValues));
    }

    private static Schema named(SchemaBuilder builder, String name) {
        return builder.name(name).optional().build();
    }

    /** The row Debezium would deliver for the same values, with the schema names and encodings it uses. */
    private static Row deliveredRow() {
        Schema schema = SchemaBuilder.struct()
                .field("id", Schema.INT64_SCHEMA)
                .field("small", Schema.OPTIONAL_INT16_SCHEMA)
                .field("i", Schema.OPTIONAL_INT32_SCHEMA)
                .field("ratio", Schema.OPTIONAL_FLOAT64_SCHEMA)
                .field("flag", Schema.OPTIONAL_BOOLEAN_SCHEMA)
                .field("amount", SchemaBuilder.string().optional().parameter(RowType.SOURCE_TYPE_PARAMETER, "NUMERIC").build())
                .field("born", named(SchemaBuilder.int32(), "io.debezium.time.Date"))
                .field("seen", named(SchemaBuilder.int64(), "io.debezium.time.MicroTimestamp"))
                .field("at", named(SchemaBuilder.string(), "io.debezium.time.ZonedTimestamp"))
                .field("uid", named(SchemaBuilder.string(), "io.debezium.data.Uuid"))
                .field("doc", named(SchemaBuilder.string(), "io.debezium.data.Json"))
                .field("raw", Schema.OPTIONAL_BYTES_SCHEMA)
                .field("tags", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build())
                .field("note", Schema.OPTIONAL_STRING_SCHEMA)
                .build();
        Struct struct = new Struct(schema)
                .put("id", 9007199254740993L)
                .put("small", (short) -7)
                .put("i", Integer.MAX_VALUE)
                .put("ratio", 0.25)
                .put("flag", true)
                .put("amount", "261.40")
                .put("born", (int) LocalDate.of(1999, 12, 31).toEpochDay())
                .put("seen", LocalDateTime.of(2026, 1, 2, 3, 4, 5, 678_901_000).toEpochSecond(ZoneOffset.UTC) * 1_000_000L + 678_901L)
                .put("at", "2026-01-02T01:04:05.5Z")
                .put("uid", UID.toString())
                .put("doc", "{\"a\":[1,2],\"b\":null}")
                .put("raw", ByteBuffer.wrap(new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef}))
                .put("tags", Arrays.asList("x", null))
                .put("note", null);
        return Row.of(RowType.of(TABLE, schema, "__debezium_unavailable_value"), struct);
    }

    private static Row handBuiltRow() throws Exception {
        return row("id", 9007199254740993L, "small", (short) -7, "i", Integer.MAX_VALUE, "ratio", 0.25, "flag", true,
                "amount", new BigDecimal("261.40"), "born", LocalDate.of(1999, 12, 31),
                "seen", LocalDateTime.of(2026, 1, 2, 3, 4, 5, 678_901_000),
                "at", OffsetDateTime.parse("2026-01-02T03:04:05.5+02:00"), "uid", UID,
                "doc", new ObjectMapper().readTree("{\"a\": [1, 2], \"b\": null}"),
                "raw", new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef},
                "tags", Arrays.asList("x", null), "note", null);
    }

    @Test
    void aHandBuiltRowReadsLikeARealOne() throws Exception {
        Row real = deliveredRow();
        Row hand = handBuiltRow();

        assertThat(hand).isEqualTo(real).hasSameHashCodeAs(real);
        assertThat(hand.toMap().keySet()).containsExactlyElementsOf(real.toMap().keySet());
        assertThat(hand.toString()).isEqualTo(real.toString());
        assertThat(hand.columns()).isEqualTo(real.columns());
        for (String column : real.columns()) {
            assertThat(hand.get(column)).as(column).isEqualTo(real.get(column));
            assertThat(hand.getObject(column)).as(column).isEqualTo(real.getObject(column));
            assertThat(hand.toMap().get(column)).as(column).isEqualTo(real.toMap().get(column));
            assertThat(hand.isNull(column)).as(column).isEqualTo(real.isNull(column));
        }
        for (String column : List.of("id", "small", "i", "ratio", "flag", "amount", "born", "seen", "at", "uid", "doc", "note")) {
            assertThat(hand.getString(column)).as(column).isEqualTo(real.getString(column));
        }
        assertThat(hand.getInstant("at")).isEqualTo(real.getInstant("at"));
        assertThat(hand.getTimestamp("seen")).isEqualTo(real.getTimestamp("seen"));
        assertThat(hand.getJson("doc")).isEqualTo(real.getJson("doc"));
        assertThatThrownBy(() -> hand.getLong("amount")).hasMessage(
                "column 'amount' of public.t is numeric; getLong cannot read it, use getDecimal or getString");
    }

    @Test
    void everyAcceptedTypeReadsThroughItsGetters() throws Exception {
        Row row = handBuiltRow();

        assertThat(row.getLong("id")).isEqualTo(9007199254740993L);
        assertThat(row.getObject("id")).isEqualTo(9007199254740993L);
        assertThat(row.getInt("small")).isEqualTo(-7);
        assertThat(row.getObject("small")).isEqualTo(-7);
        assertThat(row.getInt("i")).isEqualTo(Integer.MAX_VALUE);
        assertThat(row.getDouble("ratio")).isEqualTo(0.25);
        assertThat(row.getBoolean("flag")).isTrue();
        assertThat(row.getString("flag")).isEqualTo("true");
        assertThat(row.getLocalDate("born")).isEqualTo(LocalDate.of(1999, 12, 31));
        assertThat(row.getObject("born")).isEqualTo(LocalDate.of(1999, 12, 31));
        assertThat(row.getString("born")).isEqualTo("1999-12-31");
        assertThat(row.getTimestamp("seen")).isEqualTo(LocalDateTime.of(2026, 1, 2, 3, 4, 5, 678_901_000));
        assertThat(row.getObject("seen")).isEqualTo(LocalDateTime.of(2026, 1, 2, 3, 4, 5, 678_901_000));
        assertThat(row.getInstant("at")).isEqualTo(Instant.parse("2026-01-02T01:04:05.5Z"));
        assertThat(row.getObject("at")).isEqualTo(OffsetDateTime.parse("2026-01-02T01:04:05.5Z"));
        assertThat(row.getTimestamp("at")).isEqualTo(LocalDateTime.of(2026, 1, 2, 1, 4, 5, 500_000_000));
        assertThat(row.getString("uid")).isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        assertThat(row.getObject("uid")).isEqualTo(java.util.UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
        assertThat(row.getJson("doc").get("a").get(1).asInt()).isEqualTo(2);
        assertThat(row.getJson("doc").get("b").isNull()).isTrue();
        assertThat(row.getString("doc")).isEqualTo("{\"a\":[1,2],\"b\":null}");
        assertThat(row.getBytes("raw")).containsExactly(0xde, 0xad, 0xbe, 0xef);
        assertThat(row.getObject("tags")).isEqualTo(Arrays.asList("x", null));
        assertThat(row.isNull("note")).isTrue();
        assertThat(row.getString("note")).isNull();
        assertThat(row.getLong("note")).isNull();
        assertThat(row.getObject("note")).isNull();

        Row floats = row("f", 1.5f, "text", "hello", "instant", Instant.parse("2024-05-06T07:08:09.123456Z"));
        assertThat(floats.getDouble("f")).isEqualTo(1.5);
        assertThat(floats.getObject("f")).isEqualTo(1.5f);
        assertThat(floats.getString("text")).isEqualTo("hello");
        assertThat(floats.getInstant("instant")).isEqualTo(Instant.parse("2024-05-06T07:08:09.123456Z"));
        assertThat(floats.getObject("instant")).isEqualTo(OffsetDateTime.parse("2024-05-06T07:08:09.123456Z"));
        assertThat(floats.getObject("instant")).extracting(o -> ((OffsetDateTime) o).getOffset()).isEqualTo(ZoneOffset.UTC);
    }

    @Test
    void aNumericKeepsItsScale() {
        Row row = row("amount", new BigDecimal("261.40"), "tiny", new BigDecimal("0.0000001"), "whole", new BigDecimal("1E+3"));

        assertThat(row.getDecimal("amount")).isEqualTo(new BigDecimal("261.40")).extracting(BigDecimal::scale).isEqualTo(2);
        assertThat(row.getObject("amount")).isEqualTo(new BigDecimal("261.40"));
        assertThat(row.getString("amount")).isEqualTo("261.40");
        assertThat(row.getString("tiny")).isEqualTo("0.0000001");
        assertThat(row.getDecimal("whole")).isEqualTo(new BigDecimal("1000"));
        assertThat(row.get("amount")).isEqualTo("261.40");
    }

    @Test
    void timesKeepMicrosecondsAndInfinities() {
        Row row = row("seen", LocalDateTime.of(2024, 1, 1, 0, 0, 0, 123_456_789),
                "old", LocalDateTime.of(1900, 1, 1, 0, 0, 0, 1_000),
                "at", Instant.parse("2024-01-01T00:00:00.000001Z"),
                "born", LocalDate.of(1960, 2, 29),
                "dmax", LocalDate.MAX, "dmin", LocalDate.MIN, "tmax", LocalDateTime.MAX, "tmin", LocalDateTime.MIN,
                "zmax", Instant.MAX, "zmin", OffsetDateTime.MIN);

        assertThat(row.getTimestamp("seen")).isEqualTo(LocalDateTime.of(2024, 1, 1, 0, 0, 0, 123_457_000));
        assertThat(row.get("seen")).isEqualTo(1704067200123457L);
        assertThat(row.getTimestamp("old")).isEqualTo(LocalDateTime.of(1900, 1, 1, 0, 0, 0, 1_000));
        assertThat(row.getInstant("at")).isEqualTo(Instant.parse("2024-01-01T00:00:00.000001Z"));
        assertThat(row.get("at")).isEqualTo("2024-01-01T00:00:00.000001Z");
        assertThat(row.get("born")).isEqualTo((int) LocalDate.of(1960, 2, 29).toEpochDay());
        assertThat(row.getLocalDate("born")).isEqualTo(LocalDate.of(1960, 2, 29));

        assertThat(row.getLocalDate("dmax")).isEqualTo(LocalDate.MAX);
        assertThat(row.getLocalDate("dmin")).isEqualTo(LocalDate.MIN);
        assertThat(row.getString("dmax")).isEqualTo("infinity");
        assertThat(row.getTimestamp("tmax")).isEqualTo(LocalDateTime.MAX);
        assertThat(row.getTimestamp("tmin")).isEqualTo(LocalDateTime.MIN);
        assertThat(row.getString("tmin")).isEqualTo("-infinity");
        assertThat(row.getInstant("zmax")).isEqualTo(Instant.MAX);
        assertThat(row.getObject("zmax")).isEqualTo(OffsetDateTime.MAX);
        assertThat(row.getInstant("zmin")).isEqualTo(Instant.MIN);
        assertThat(row.getString("zmin")).isEqualTo("-infinity");
    }

    @Test
    void timesOutsidePostgresRangeAreRejected() {
        assertThatThrownBy(() -> row("born", LocalDate.of(-5000, 1, 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("column 'born' of public.t holds -5000-01-01, outside PostgreSQL's date range;"
                        + " use MAX or MIN for 'infinity' or '-infinity'");
        assertThatThrownBy(() -> row("seen", LocalDateTime.of(300000, 1, 1, 0, 0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("column 'seen' of public.t holds +300000-01-01T00:00, outside PostgreSQL's timestamp range");
        assertThatThrownBy(() -> row("at", Instant.parse("+300000-01-01T00:00:00Z"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside PostgreSQL's timestamptz range");
    }

    @Test
    void jsonReadsBackAsAnEqualTree() throws Exception {
        JsonNode doc = new ObjectMapper().readTree("{\"name\": \"a\", \"n\": [1, 2, {\"deep\": true}], \"none\": null}");
        Row row = row("doc", doc);

        assertThat(row.getJson("doc")).isEqualTo(doc);
        assertThat(row.getString("doc")).isEqualTo("{\"name\":\"a\",\"n\":[1,2,{\"deep\":true}],\"none\":null}");
        assertThat(row.getObject("doc")).isEqualTo(row.getString("doc"));
        JsonNode exact = JsonNodeFactory.instance.objectNode().set("p", DecimalNode.valueOf(new BigDecimal("261.40")));
        assertThat(row("price", exact).getJson("price")).isEqualTo(exact);
        assertThat(row("price", exact).getJson("price").get("p").decimalValue()).isEqualTo(new BigDecimal("261.40"));
    }

    @Test
    void bytesAreCopiedInAndOut() {
        byte[] data = {1, 2, 3};
        Row row = row("data", data);
        data[0] = 9;
        row.getBytes("data")[1] = 9;

        assertThat(row.getBytes("data")).containsExactly(1, 2, 3);
        assertThat((byte[]) row.getObject("data")).containsExactly(1, 2, 3);
    }

    @Test
    void arraysHoldTheirElementsInDebeziumsEncoding() {
        Row row = row("tags", Arrays.asList("a", null, "b"), "days", List.of(LocalDate.of(1970, 1, 2)),
                "amounts", List.of(new BigDecimal("1.50")), "grid", List.of(List.of(1, 2), List.of(3, 4)),
                "blobs", List.of(new byte[] {7}));

        assertThat(row.getObject("tags")).isEqualTo(Arrays.asList("a", null, "b"));
        assertThat(row.getObject("days")).isEqualTo(List.of(1));
        assertThat(row.getObject("amounts")).isEqualTo(List.of("1.50"));
        assertThat(row.getObject("grid")).isEqualTo(List.of(List.of(1, 2), List.of(3, 4)));
        assertThat(row.getObject("blobs")).isEqualTo(List.of(ByteBuffer.wrap(new byte[] {7})));
        List<?> tags = row.get("tags", List.class);
        assertThat(tags).isEqualTo(Arrays.asList("a", null, "b"));
        assertThatThrownBy(() -> ((List<?>) row.getObject("tags")).clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.getString("tags")).hasMessage(
                "column 'tags' of public.t is array; getString cannot read it, use get");
    }

    @Test
    void toMapKeepsColumnOrderAndNulls() {
        Row row = row("z", 1, "a", null, "m", LocalDate.of(2024, 1, 1), "big", Row.UNAVAILABLE);

        Map<String, Object> map = row.toMap();

        assertThat(map.keySet()).containsExactly("z", "a", "m", "big");
        assertThat(map).containsEntry("z", 1).containsEntry("a", null).containsEntry("m", LocalDate.of(2024, 1, 1));
        assertThat(map.get("big")).isSameAs(Row.UNAVAILABLE);
        assertThatThrownBy(() -> map.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Row.of(TABLE, map)).isEqualTo(row);
    }

    @Test
    void getReadsTheColumnAsTheClassAskedFor() throws Exception {
        Row row = handBuiltRow();

        assertThat(row.get("id", String.class)).isEqualTo("9007199254740993");
        assertThat(row.get("id", Long.class)).isEqualTo(9007199254740993L);
        assertThat(row.get("id", long.class)).isEqualTo(9007199254740993L);
        assertThat(row.get("small", Integer.class)).isEqualTo(-7);
        assertThat(row.get("small", Short.class)).isEqualTo((short) -7);
        assertThat(row.get("small", BigDecimal.class)).isEqualTo(BigDecimal.valueOf(-7));
        assertThat(row.get("ratio", Double.class)).isEqualTo(0.25);
        assertThat(row.get("flag", Boolean.class)).isTrue();
        assertThat(row.get("amount", BigDecimal.class)).isEqualTo(new BigDecimal("261.40"));
        assertThat(row.get("amount", String.class)).isEqualTo("261.40");
        assertThat(row.get("born", LocalDate.class)).isEqualTo(LocalDate.of(1999, 12, 31));
        assertThat(row.get("seen", LocalDateTime.class)).isEqualTo(LocalDateTime.of(2026, 1, 2, 3, 4, 5, 678_901_000));
        assertThat(row.get("seen", Instant.class)).isEqualTo(Instant.parse("2026-01-02T03:04:05.678901Z"));
        assertThat(row.get("at", Instant.class)).isEqualTo(Instant.parse("2026-01-02T01:04:05.5Z"));
        assertThat(row.get("at", OffsetDateTime.class)).isEqualTo(OffsetDateTime.parse("2026-01-02T01:04:05.5Z"));
        assertThat(row.get("uid", UUID.class)).isEqualTo(UID);
        assertThat(row.get("uid", String.class)).isEqualTo(UID.toString());
        assertThat(row.get("doc", JsonNode.class).get("a").size()).isEqualTo(2);
        assertThat(row.get("raw", byte[].class)).containsExactly(0xde, 0xad, 0xbe, 0xef);
        assertThat(row.get("tags", Object.class)).isEqualTo(Arrays.asList("x", null));
        assertThat(row.get("note", Long.class)).isNull();
        assertThat(row.get("note", UUID.class)).isNull();
    }

    @Test
    void getRejectsAClassTheColumnCannotBeReadAs() throws Exception {
        Row row = handBuiltRow();

        assertThatThrownBy(() -> row.get("amount", Long.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("column 'amount' of public.t is numeric; cannot read it as Long, use BigDecimal or String");
        assertThatThrownBy(() -> row.get("born", Instant.class))
                .hasMessage("column 'born' of public.t is date; cannot read it as Instant, use LocalDate");
        assertThatThrownBy(() -> row.get("id", UUID.class))
                .hasMessage("column 'id' of public.t is bigint; cannot read it as UUID, use Long or Integer");
        assertThatThrownBy(() -> row.get("id", Map.class))
                .hasMessage("column 'id' of public.t is bigint; cannot read it as Map, use Long or Integer");
        assertThatThrownBy(() -> row("s", "not a uuid").get("s", UUID.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("column 's' of public.t holds 'not a uuid', which is not a UUID");
        assertThatThrownBy(() -> row.get("nope", String.class)).hasMessageStartingWith("no column 'nope' in public.t");
    }

    @Test
    void anUnavailableColumnReadsAsInADeliveredRow() {
        Row row = row("id", 1, "body", Row.UNAVAILABLE);

        assertThat(row.isUnavailable("body")).isTrue();
        assertThat(row.isUnavailable("id")).isFalse();
        assertThat(row.isNull("body")).isFalse();
        assertThatThrownBy(() -> row.getString("body")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is unavailable").hasMessageContaining("REPLICA IDENTITY FULL");
        assertThatThrownBy(() -> row.get("body")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> row.getObject("body")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> row.get("body", String.class)).isInstanceOf(IllegalStateException.class);
        assertThat(row.toString()).isEqualTo("{id=1, body=<unavailable>}");
        assertThat(row("body", "__debezium_unavailable_value").isUnavailable("body")).as("text is data when built by hand").isFalse();
    }

    @Test
    void toStringShowsDecodedValues() {
        Row row = row("id", 42, "amount", new BigDecimal("261.40"), "created", LocalDateTime.of(2024, 1, 1, 0, 0),
                "data", new byte[3], "big", Row.UNAVAILABLE);

        assertThat(row).hasToString("{id=42, amount=261.40, created=2024-01-01T00:00, data=<3 bytes>, big=<unavailable>}");
        assertThat(row("tiny", new BigDecimal("0.0000001"), "at", Instant.parse("2024-01-01T00:00:00Z"), "n", null, "s", "x y"))
                .hasToString("{tiny=0.0000001, at=2024-01-01T00:00Z, n=null, s=x y}");
    }

    @Test
    void aValueOfAnotherTypeIsRejectedNamingTheAcceptedTypes() {
        assertThatThrownBy(() -> row("when", new java.util.Date(0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("column 'when' of public.t holds a java.util.Date; accepted are null, String, Short, Integer, Long,"
                        + " Float, Double, Boolean, BigDecimal, byte[], LocalDate, LocalDateTime, OffsetDateTime, Instant, UUID,"
                        + " JsonNode, List and Row.UNAVAILABLE");
        assertThatThrownBy(() -> row("ids", List.of(new StringBuilder("x")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("column 'ids' of public.t holds a List with a java.lang.StringBuilder element;"
                        + " accepted elements are null, String");
        assertThatThrownBy(() -> row("ids", List.of(Row.UNAVAILABLE))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> row("b", (byte) 1)).hasMessageContaining("holds a java.lang.Byte");
        assertThatThrownBy(() -> Row.of(TABLE, columns((String) null, 1))).hasMessage("column names must not be null");
    }

    @Test
    void handBuiltRowsWithTheSameValuesAreEqual() {
        Row a = row("id", 1L, "data", new byte[] {1, 2}, "at", OffsetDateTime.parse("2024-01-01T02:00:00+02:00"), "big", Row.UNAVAILABLE);
        Row b = row("id", 1L, "data", new byte[] {1, 2}, "at", Instant.parse("2024-01-01T00:00:00Z"), "big", Row.UNAVAILABLE);

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(row("id", 2L, "data", new byte[] {1, 2}, "at", Instant.parse("2024-01-01T00:00:00Z"),
                "big", Row.UNAVAILABLE));
        assertThat(a).isNotEqualTo(Row.of(TableId.parse("public.other"), a.toMap()));
        assertThat(row("id", 1L)).isNotEqualTo(row("id", 1));
        assertThat(Row.of(TABLE, Map.of())).isEqualTo(Row.of(TABLE, Map.of())).hasToString("{}");
    }
}
