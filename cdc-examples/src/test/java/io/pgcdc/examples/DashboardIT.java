package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.ChildJvm;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The {@code Dashboard} example as a user sees it: its own JVM against a test database, the page opened
 * in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, never a driver
 * downloaded at run time). Saves a screenshot to {@code target/dashboard.png}, and to the README's
 * {@code docs/dashboard.png} with {@code -Dpgcdc.screenshot.update=true}.
 */
@ExtendWith(PostgresExtension.class)
class DashboardIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final boolean UPDATE_SCREENSHOT = Boolean.getBoolean("pgcdc.screenshot.update");
    private static final Pattern URL = Pattern.compile("^dashboard: (http://\\S+/)");

    @Test
    void aCommittedChangeAppearsOnThePageWithinTwoSecondsAndTheChartsAndMetricsFollowTheEngine(TestDatabase db) throws Exception {
        requireChromium();
        ChildJvm dashboard = ChildJvm.start(Dashboard.class, Map.of("PGPASSWORD", db.password()), "--host", db.host(),
                "--port", Integer.toString(db.port()), "--database", db.name(), "--user", db.user(), "--http-port", "0", "--rate", "20");
        ChildJvm.Result stopped;
        try {
            String url = awaitUrl(dashboard);
            ChromeDriver browser = chromium();
            try {
                browser.get(url);
                JavascriptExecutor page = browser;
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(page.executeScript("return document.getElementById('state').textContent")).isEqualTo("RUNNING"));

                // Markup in a value must show as text: the page sets textContent, never innerHTML.
                String key = "<i>dashboard-it-" + UUID.randomUUID().toString().substring(0, 8) + "</i>";
                db.execute("INSERT INTO transactions (transaction_id, user_id, amount, currency) VALUES ('" + key + "', 'it', 12.50, 'EUR')");
                long committed = System.nanoTime();
                await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                        .untilAsserted(() -> assertThat(rows(page, key)).contains("insert|public.transactions|" + key + "|"));
                long shownMs = (System.nanoTime() - committed) / 1_000_000;

                db.execute("UPDATE transactions SET amount = 99.99 WHERE transaction_id = '" + key + "'");
                await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                        .untilAsserted(() -> assertThat(rows(page, key)).contains("update|public.transactions|" + key + "|amount"));
                assertThat(page.executeScript("return document.querySelectorAll('#changes i').length")).isEqualTo(0L);
                System.out.println("DashboardIT: the insert was on the page " + shownMs + " ms after its commit");

                int points = UPDATE_SCREENSHOT ? 40 : 3; // the README's picture gets some history
                await().atMost(Duration.ofSeconds(points + 10)).untilAsserted(() -> {
                    Map<String, Map<String, Object>> charts = charts(page);
                    for (String chart : List.of("rate-chart", "lag-chart", "slot-chart", "state-chart")) {
                        Map<String, Object> c = charts.get(chart);
                        assertThat(Integer.parseInt((String) c.get("points"))).as(chart + ": " + c).isGreaterThanOrEqualTo(points)
                                .isEqualTo(((Number) c.get("drawn")).intValue());
                    }
                    assertThat(Double.parseDouble((String) charts.get("rate-chart").get("max"))).as("most events in a second").isPositive();
                    assertThat(Double.parseDouble((String) charts.get("lag-chart").get("max"))).as("largest lag, ms").isPositive();
                });

                String metrics = get(url + "metrics");
                assertThat(metrics.lines()).anyMatch(l -> l.startsWith("pgcdc_events_total{")
                        && l.contains("engine=\"dashboard\"") && l.contains("operation=\"create\"") && l.contains("table=\"public.transactions\""));
                assertThat(metrics.lines()).anyMatch(l -> l.matches("pgcdc_lag_seconds_count\\{engine=\"dashboard\"} [1-9].*"));
                assertThat(metrics.lines()).anyMatch(l -> l.startsWith("pgcdc_lag_seconds_bucket{engine=\"dashboard\""));
                assertThat(metrics.lines()).contains("pgcdc_engine_state{engine=\"dashboard\",state=\"running\"} 1.0");
                assertThat(get(url + "status")).contains("\"state\":\"RUNNING\"");

                screenshot(browser);
            } finally {
                browser.quit();
            }
        } finally {
            // SIGTERM, as kill sends; ChildJvm.terminate would also close the pipes that show what it prints then.
            dashboard.process().toHandle().destroy();
            stopped = dashboard.await(Duration.ofSeconds(60));
        }
        assertThat(stopped.exit()).as(stopped.out() + stopped.err()).isZero();
        assertThat(stopped.out()).contains("dashboard stopped");
        assertThat(db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dashboard'")).as("slot dropped").isZero();
    }

    @Test
    void aPortInUseIsReportedInOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            ChildJvm.Result r = ChildJvm.run(Duration.ofMinutes(1), Dashboard.class, Map.of(), "--http-port",
                    Integer.toString(taken.getLocalPort()));
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().strip()).isEqualTo("error: cannot listen on localhost:" + taken.getLocalPort()
                    + " (Address already in use); choose another --http-port (0: any free port)");
        }
    }

    @Test
    void aPageThatStopsReadingNeverHoldsUpTheListener() throws Exception {
        try (DashboardServer server = DashboardServer.bind("localhost", 0)) {
            server.start(() -> "", Map::of);
            try (Socket page = new Socket("localhost", URI.create(server.url()).getPort())) {
                page.getOutputStream().write("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                BufferedReader response = new BufferedReader(new InputStreamReader(page.getInputStream(), StandardCharsets.UTF_8));
                assertThat(response.readLine()).isEqualTo("HTTP/1.1 200 OK");
                for (String line = ""; !line.equals("retry: 1000"); line = response.readLine()) {
                    assertThat(line).as("the stream's first line").isNotNull(); // the page is registered once its stream begins
                }
                // The page reads nothing more: 50 MB of changes, far beyond its queue and the socket's buffers.
                String change = "{\"pad\":\"" + "x".repeat(1_000) + "\"}";
                long start = System.nanoTime();
                for (int i = 0; i < 50_000; i++) {
                    server.broadcast("change", change);
                }
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
                assertThat(server.dropped()).isGreaterThan(40_000);
            }
        }
    }

    /** The page's URL, once the child prints it; fails at once if the child ends first. */
    private static String awaitUrl(ChildJvm dashboard) {
        AtomicReference<String> url = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            for (String line : dashboard.linesSoFar()) {
                Matcher m = URL.matcher(line);
                if (m.find()) {
                    url.set(m.group(1));
                    return true;
                }
            }
            if (!dashboard.process().isAlive()) {
                ChildJvm.Result r = dashboard.await(Duration.ofSeconds(5));
                throw new AssertionError("Dashboard ended before serving its page: " + r.out() + r.err());
            }
            return false;
        });
        return url.get();
    }

    /** Fails, never skips, without the browser: CI must run this test. */
    private static void requireChromium() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("DashboardIT needs headless Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
                    + ": apt-get install -y chromium chromium-driver (.ci/run does it)");
        }
    }

    /** Debian's Chromium through Debian's driver; the driver path set, Selenium Manager never runs (it would download). */
    private static ChromeDriver chromium() {
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900");
        return new ChromeDriver(options);
    }

    /** The table's rows as {@code op|table|key|changed}, read from the DOM's text, for the rows of {@code key}. */
    private static List<String> rows(JavascriptExecutor page, String key) {
        @SuppressWarnings("unchecked")
        List<String> rows = (List<String>) page.executeScript("return [...document.querySelectorAll('#changes tr')]"
                + ".filter(tr => tr.cells[2].textContent === arguments[0])"
                + ".map(tr => [...tr.cells].slice(0, 4).map(td => td.textContent).join('|'))", key);
        return rows;
    }

    /** For each chart: the points it says it drew, the points its SVG holds, and its largest value. */
    private static Map<String, Map<String, Object>> charts(JavascriptExecutor page) {
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> charts = (Map<String, Map<String, Object>>) page.executeScript(
                "const out = {};"
                + "for (const svg of document.querySelectorAll('svg')) {"
                + "  const lines = [...svg.querySelectorAll('polyline')].map(p => p.getAttribute('points').trim().split(/\\s+/).filter(s => s).length);"
                + "  const drawn = lines.length ? Math.max(...lines) : svg.querySelectorAll('rect').length;"
                + "  out[svg.id] = {points: svg.dataset.points || '0', max: svg.dataset.max || '0', drawn: drawn};"
                + "}"
                + "return out;");
        return charts;
    }

    private static String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return response.body();
    }

    /** Always to target/ for a look; to the README's picture only when asked. */
    private static void screenshot(ChromeDriver browser) throws IOException {
        byte[] png = browser.getScreenshotAs(OutputType.BYTES);
        Files.write(Path.of("target", "dashboard.png"), png);
        if (UPDATE_SCREENSHOT) {
            Path docs = Path.of("..", "docs");
            Files.createDirectories(docs);
            Files.write(docs.resolve("dashboard.png"), png);
        }
    }
}
