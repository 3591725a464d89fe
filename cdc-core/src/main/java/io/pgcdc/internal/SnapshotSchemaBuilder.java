package io.pgcdc.internal;

import io.debezium.DebeziumException;
import io.debezium.config.CommonConnectorConfig.EventConvertingFailureHandlingMode;
import io.debezium.relational.Column;
import io.debezium.relational.Key;
import io.debezium.relational.Key.KeyMapper;
import io.debezium.relational.CustomConverterRegistry;
import io.debezium.relational.DefaultValueConverter;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.relational.TableSchemaBuilder;
import io.debezium.relational.ValueConverter;
import io.debezium.relational.ValueConverterProvider;
import io.debezium.relational.mapping.ColumnMappers;
import io.debezium.schema.FieldNameSelector.FieldNamer;
import io.debezium.relational.Tables.ColumnNameFilter;
import io.debezium.schema.SchemaNameAdjuster;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debezium's table schema builder, which also hands out a table's row converter as an array function:
 * the same converters, in the same order, with the same failure handling as its value generator, without
 * building (and validating into) a {@code Struct} per row, which was a fifth of the snapshot readers' time.
 */
final class SnapshotSchemaBuilder extends TableSchemaBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSchemaBuilder.class);

    /** Turns a row read by JDBC (indexed by column position) into the values of the value schema's fields. */
    interface RowValues {
        Object[] convert(Object[] row);
    }

    private final EventConvertingFailureHandlingMode failureMode;

    SnapshotSchemaBuilder(ValueConverterProvider values, DefaultValueConverter defaults, SchemaNameAdjuster adjuster,
                          CustomConverterRegistry custom, Schema sourceInfoSchema,
                          FieldNamer<Column> fieldNamer, EventConvertingFailureHandlingMode failureMode) {
        super(values, defaults, adjuster, custom, sourceInfoSchema, fieldNamer, false, failureMode);
        this.failureMode = failureMode;
    }

    /** The converter of {@code table}'s rows into the fields of {@code schema}, its value schema. */
    RowValues rowValues(Schema schema, Table table, ColumnNameFilter filter, ColumnMappers mappers) {
        TableId id = table.id();
        List<Column> columns = table.columns().stream()
                .filter(c -> filter == null || filter.matches(id.catalog(), id.schema(), id.table(), c.name()))
                .collect(Collectors.toList());
        return compile(schema, id, columns, mappers);
    }

    /**
     * The converter of {@code table}'s rows into the fields of {@code keySchema}, as Debezium's key generator
     * (no column mappers); null when the key schema has fields beyond the key columns (a topic naming strategy
     * that augments keys), which only Debezium's own generator fills.
     */
    RowValues keyValues(Schema keySchema, Table table, KeyMapper keyMapper) {
        if (keySchema == null) {
            return null;
        }
        List<Column> columns = new Key.Builder(table).customKeyMapper(keyMapper).build().keyColumns();
        if (columns.size() != keySchema.fields().size()) {
            return null;
        }
        return compile(keySchema, table.id(), columns, null);
    }

    private RowValues compile(Schema schema, TableId id, List<Column> columns, ColumnMappers mappers) {
        int[] indexes = indexesForColumns(columns);
        Field[] fields = fieldsForColumns(schema, columns);
        ValueConverter[] converters = convertersForColumns(schema, id, columns, mappers);
        int width = schema.fields().size();
        return row -> {
            Object[] values = new Object[width];
            for (int i = 0; i < indexes.length; i++) {
                ValueConverter converter = converters[i];
                if (converter == null || fields[i] == null) {
                    continue;
                }
                try {
                    values[fields[i].index()] = converter.convert(row[indexes[i]]);
                } catch (RuntimeException e) {
                    Column c = columns.get(i);
                    switch (failureMode) {
                        case FAIL:
                            throw new DebeziumException("Failed to properly convert data value for '" + id + "." + c.name() + "' of type "
                                    + c.typeName(), e);
                        case WARN:
                            LOG.warn("Failed to properly convert data value for '{}.{}' of type {}: {}", id, c.name(), c.typeName(), e.toString());
                            break;
                        default:
                            LOG.debug("Failed to properly convert data value for '{}.{}' of type {}: {}", id, c.name(), c.typeName(), e.toString());
                            break;
                    }
                }
            }
            return values;
        };
    }
}
