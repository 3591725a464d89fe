package io.pgcdc.bench;

import java.util.Arrays;
import java.util.Locale;

/** How the benchmarks print and combine their figures: one place, so that every table reads alike. */
final class Figures {

    private Figures() {
    }

    /** {@code 123,456 rows/s}. */
    static String rate(double rowsPerSecond) {
        return String.format(Locale.ROOT, "%,.0f rows/s", rowsPerSecond);
    }

    /** A ratio with three decimals. */
    static String ratio(double ratio) {
        return String.format(Locale.ROOT, "%.3f", ratio);
    }

    /** The median; of an even count, the mean of the two middle values. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The median of the runs' ratios, each run's value to the same run's reference. */
    static double medianRatio(double[] values, double[] reference) {
        double[] ratios = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            ratios[i] = values[i] / reference[i];
        }
        return median(ratios);
    }
}
