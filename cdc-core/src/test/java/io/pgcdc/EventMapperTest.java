package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EventMapperTest {

    @Test
    void operationsMapFromDebeziumCodes() {
        for (Operation op : Operation.values()) {
            assertThat(Operation.fromCode(op.code())).isEqualTo(op);
        }
        assertThatThrownBy(() -> Operation.fromCode("m")).hasMessage("not a row operation code: 'm'");
    }
}
