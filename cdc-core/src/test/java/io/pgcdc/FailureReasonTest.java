package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.pgcdc.internal.Preflight;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.sql.SQLException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.junit.jupiter.api.Test;

/** The reason a {@link CdcException} carries, so that callers need not parse messages. */
class FailureReasonTest {

    @Test
    void theConstructorsWithoutAReasonGiveInternal() {
        IllegalStateException cause = new IllegalStateException("boom");

        assertThat(new CdcException("something broke").reason()).isEqualTo(FailureReason.INTERNAL);
        CdcException withCause = new CdcException("something broke", cause);
        assertThat(withCause.reason()).isEqualTo(FailureReason.INTERNAL);
        assertThat(withCause).hasMessage("something broke").hasCause(cause);
    }

    @Test
    void theConstructorsWithAReasonKeepItTheMessageAndTheCause() {
        SQLException cause = new java.sql.SQLException("password authentication failed", "28P01");

        CdcException plain = new CdcException(FailureReason.WAL_LEVEL, "wal_level is 'replica'");
        assertThat(plain.reason()).isEqualTo(FailureReason.WAL_LEVEL);
        assertThat(plain).hasMessage("wal_level is 'replica'").hasNoCause();

        CdcException withCause = new CdcException(FailureReason.AUTHENTICATION, "authentication failed for user 'cdc'", cause);
        assertThat(withCause.reason()).isEqualTo(FailureReason.AUTHENTICATION);
        assertThat(withCause).hasMessage("authentication failed for user 'cdc'").hasCause(cause);
    }

    @Test
    void theReasonIsNeverNull() {
        assertThatNullPointerException().isThrownBy(() -> new CdcException(null, "message")).withMessage("reason must not be null");
        assertThatNullPointerException().isThrownBy(() -> new CdcException(null, "message", new RuntimeException()))
                .withMessage("reason must not be null");
        for (FailureReason reason : FailureReason.values()) {
            assertThat(new CdcException(reason, "message").reason()).isSameAs(reason);
        }
    }

    @Test
    void theReasonSurvivesSerialisation() throws Exception {
        CdcException original = new CdcException(FailureReason.SLOT_IN_USE, "replication slot 'orders' is in use");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(original);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            CdcException copy = (CdcException) in.readObject();
            assertThat(copy.reason()).isEqualTo(FailureReason.SLOT_IN_USE);
            assertThat(copy).hasMessage("replication slot 'orders' is in use");
        }
    }

    @Test
    void aDebeziumFailureIsGivenTheReasonItsCausesStandFor() {
        CdcConfig config = CdcConfig.builder().name("orders").database("shop").user("cdc").password("pw").tables("public.orders").build();
        SQLException refused = new SQLException("Connection to localhost:5432 refused", "08001", new java.net.ConnectException("Connection refused"));

        assertThat(Preflight.describeFailure(config, "", new SQLException("password authentication failed", "28P01")).reason())
                .isEqualTo(FailureReason.AUTHENTICATION);
        assertThat(Preflight.describeFailure(config, "", refused).reason()).isEqualTo(FailureReason.UNREACHABLE);
        assertThat(Preflight.describeFailure(config, "", new RetriableException("restarting", refused)).reason())
                .isEqualTo(FailureReason.CONNECTION_LOST);
        assertThat(Preflight.describeFailure(config, "", new ConnectException("producer failed",
                new SQLException("ERROR: replication slot \"orders\" is active for PID 4242", "55006"))).reason())
                .isEqualTo(FailureReason.SLOT_IN_USE);
        assertThat(Preflight.describeFailure(config, "", new ConnectException("producer failed", new SQLException(
                "ERROR: can no longer get changes from replication slot \"orders\"", "55000"))).reason())
                .isEqualTo(FailureReason.SLOT_LOST);
        assertThat(Preflight.describeFailure(config, "", new ConnectException(
                "Postgres server wal_level property must be 'logical' but is: 'replica'")).reason())
                .isEqualTo(FailureReason.WAL_LEVEL);
        assertThat(Preflight.describeFailure(config, "", new ConfigException("snapshot.mode", "bogus", "unknown mode")).reason())
                .isEqualTo(FailureReason.CONFIGURATION);
        CdcException unknown = Preflight.describeFailure(config, "Engine has failed", new IllegalStateException("bug"));
        assertThat(unknown.reason()).isEqualTo(FailureReason.INTERNAL);
        assertThat(unknown).hasMessage("engine 'orders' failed: Engine has failed (java.lang.IllegalStateException: bug)");
    }
}
