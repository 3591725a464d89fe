package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The README's example of a listener unit test that needs no database, run here; a second test keeps
 * the README's copy identical to the lines between the markers below.
 */
class ListenerUnitTestExampleTest {

    private static final Path SELF = Path.of("src", "test", "java", "io", "pgcdc", "ListenerUnitTestExampleTest.java");

    /** A listener under test: keeps amounts by transaction id. */
    static final class CachingListener implements ChangeListener {
        final Map<String, BigDecimal> cache = new ConcurrentHashMap<>();

        @Override
        public void onInsert(ChangeEvent event) {
            cache.put(event.after().getString("transaction_id"), event.after().getDecimal("amount"));
        }
    }

    @Test
    void aListenerIsTestedWithHandBuiltEvents() throws Exception {
        CachingListener listener = new CachingListener();
        Map<String, BigDecimal> cache = listener.cache;
        // README:unit-test:begin
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("transaction_id", "tx-1");
        values.put("amount", new BigDecimal("12.50"));
        Row row = Row.of(TableId.parse("public.transactions"), values);
        ChangeEvent insert = ChangeEvent.builder(Operation.CREATE, row.table()).after(row).build();

        listener.onChange(insert);

        assertThat(cache.get("tx-1")).isEqualByComparingTo("12.50");
        // README:unit-test:end
        assertThat(insert.id()).isEqualTo(EventId.of(insert.transaction().orElseThrow().commitLsn(), 1));
        ChangeEvent read = ChangeEvent.builder(Operation.READ, row.table()).after(row).build();
        assertThat(read.id().toString()).isEqualTo("snapshot:public.transactions:transaction_id=tx-1,amount=12.50");
        listener.onChange(read);
        assertThat(cache).containsKey("tx-1");
    }

    @Test
    void theReadmeShowsExactlyTheCompiledExample() throws IOException {
        assertThat(ReadmeSnippets.readmeBlockAfter(
                "<!-- listener-unit-test: kept identical to cdc-core/src/test/java/io/pgcdc/ListenerUnitTestExampleTest.java -->"))
                .containsExactlyElementsOf(ReadmeSnippets.between(SELF, "// README:unit-test:begin", "// README:unit-test:end"));
    }

    @Test
    void eventIdsRoundTripAndOrder() {
        EventId a = EventId.of(Lsn.parse("16/B374D848"), 3);
        assertThat(a.toString()).isEqualTo("16/B374D848:3");
        assertThat(EventId.parse("16/B374D848:3")).isEqualTo(a);
        assertThat(EventId.of(Lsn.parse("16/B374D848"), 4)).isGreaterThan(a);
        assertThat(EventId.of(Lsn.parse("16/B374D849"), 1)).isGreaterThan(a);
        Map<String, Object> tricky = new LinkedHashMap<>();
        tricky.put("k", "a,b=c:d%");
        EventId s = EventId.snapshot(TableId.parse("public.t"), Row.of(TableId.parse("public.t"), tricky));
        assertThat(s.toString()).isEqualTo("snapshot:public.t:k=a%2cb%3dc%3ad%25");
        assertThat(s).isLessThan(a);
    }
}
