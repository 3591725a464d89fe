package io.pgcdc.generator.internal;

import io.pgcdc.generator.Schema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code transactions} table: created from the project's own {@code sql/010_transactions.sql}
 * (shipped in this jar) when missing, and checked to have the shape the generator writes.
 */
public final class TransactionsTable {

    private static final Set<String> TEXT = Set.of("character varying", "text", "character");
    private static final Map<String, Set<String>> EXPECTED = expected();

    private TransactionsTable() {
    }

    private static Map<String, Set<String>> expected() {
        Map<String, Set<String>> m = new LinkedHashMap<>();
        for (String c : List.of("transaction_id", "user_id", "currency", "city", "country", "merchant_name", "payment_method",
                "ip_address", "voucher_code", "affiliateid")) {
            m.put(c, TEXT);
        }
        m.put("timestamp", Set.of("timestamp without time zone", "timestamp with time zone"));
        m.put("amount", Set.of("numeric"));
        return m;
    }

    /** The table's script, {@code sql/010_transactions.sql}. */
    public static String ddl() {
        return Schema.script(Schema.SCRIPTS.get(0));
    }

    /**
     * Makes sure {@code transactions} exists (creating it when allowed) and has the columns the
     * generator writes.
     *
     * @return problems with the table's shape, empty when it fits
     */
    public static List<String> prepare(Connection c, boolean create) throws SQLException {
        Map<String, ColumnInfo> columns = columns(c);
        if (columns.isEmpty()) {
            if (!create) {
                return List.of("table transactions does not exist in the current schema; create it with sql/010_transactions.sql"
                        + " or let the generator create it");
            }
            try (Statement s = c.createStatement()) {
                s.execute(ddl());
            }
            c.commit();
            columns = columns(c);
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : EXPECTED.entrySet()) {
            ColumnInfo column = columns.get(e.getKey());
            if (column == null) {
                problems.add("column " + e.getKey() + " is missing");
            } else if (!e.getValue().contains(column.type)) {
                problems.add("column " + e.getKey() + " is " + column.type + ", expected " + String.join(" or ", e.getValue()));
            }
        }
        for (Map.Entry<String, ColumnInfo> e : columns.entrySet()) {
            if (!EXPECTED.containsKey(e.getKey()) && e.getValue().required) {
                problems.add("column " + e.getKey() + " is NOT NULL without a default, and the generator does not write it");
            }
        }
        return problems;
    }

    private static Map<String, ColumnInfo> columns(Connection c) throws SQLException {
        Map<String, ColumnInfo> columns = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name, data_type, is_nullable = 'NO' AND column_default IS NULL"
                + " AND is_identity = 'NO' FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"
                + " ORDER BY ordinal_position")) {
            ps.setString(1, "transactions");
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), new ColumnInfo(rs.getString(2), rs.getBoolean(3)));
                }
            }
        }
        return columns;
    }

    private static final class ColumnInfo {
        final String type;
        final boolean required;

        ColumnInfo(String type, boolean required) {
            this.type = type;
            this.required = required;
        }
    }
}
