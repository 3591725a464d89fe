package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EventMapperTest {

    @Test
    void readsTheLastCommitLsnFromDebeziumsSequence() {
        assertThat(EventMapper.lastCommitLsn("[\"24023928\",\"24023960\"]")).isEqualTo(Lsn.of(24023928L));
        assertThat(EventMapper.lastCommitLsn("[null,\"24023960\"]")).isNull();
        assertThat(EventMapper.lastCommitLsn(null)).isNull();
    }

    @Test
    void operationsMapFromDebeziumCodes() {
        for (Operation op : Operation.values()) {
            assertThat(Operation.fromCode(op.code())).isEqualTo(op);
        }
        assertThatThrownBy(() -> Operation.fromCode("m")).hasMessage("not a row operation code: 'm'");
    }
}
