package io.pgcdc.bench;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium's embedded engine alone, as an application would run it without this library (Connect format, a record
 * consumer on Debezium's own thread): the reference the benchmarks measure the library against.
 */
final class RawDebezium {

    /** Waits until the measurement is complete; {@code ended} says why the engine ended early, or gives null while it runs. */
    @FunctionalInterface
    interface Wait {
        void until(Supplier<String> ended) throws Exception;
    }

    private RawDebezium() {
    }

    /**
     * Runs the engine with {@code properties} on a thread named {@code threadName}, handing {@code onEvent} the value of
     * every change event whose {@code op} is {@code op}, until {@code wait} returns; then closes it.
     *
     * @throws IllegalStateException when the engine does not stop within a minute of {@code close()}
     */
    static void run(Properties properties, String op, Consumer<Struct> onEvent, String threadName, Wait wait) throws Exception {
        AtomicReference<String> ended = new AtomicReference<>();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using((success, message, error) -> ended.set("success=" + success + ", " + message + (error == null ? "" : ": " + error)))
                .notifying(event -> {
                    if (!(event.record().value() instanceof Struct)) {
                        return;
                    }
                    Struct value = (Struct) event.record().value();
                    if (value.schema().field("op") != null && op.equals(value.getString("op"))) {
                        onEvent.accept(value);
                    }
                })
                .build();
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, threadName));
        try {
            executor.execute(engine);
            wait.until(ended::get);
        } finally {
            engine.close();
            executor.shutdown();
            if (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("Debezium engine did not stop within a minute of close()");
            }
        }
    }
}
