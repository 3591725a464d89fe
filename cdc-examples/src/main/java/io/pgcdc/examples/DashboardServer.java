package io.pgcdc.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The {@link Dashboard}'s web server, on the JDK's {@code com.sun.net.httpserver}: the page and its
 * script from the {@code dashboard/} resources, {@code /events} (server-sent events: a {@code change}
 * message per change, a {@code status} message every second), {@code /status} (the last status as JSON)
 * and {@code /metrics} (Prometheus' text format).
 *
 * <p>{@link #broadcast} never blocks on a browser: each open page has a bounded queue of messages and its
 * own thread writing them; when a page reads slower than changes arrive, its oldest messages are dropped
 * and counted ({@link #dropped()}). A page, as it connects, first receives the recent changes and statuses,
 * so its table and charts start filled.
 */
final class DashboardServer implements AutoCloseable {

    /** Messages a page may lag behind before its oldest are dropped. */
    static final int QUEUE_CAPACITY = 1_000;
    /** Recent changes and statuses a newly opened page receives: its table's rows and its charts' points. */
    static final int RECENT_CHANGES = 100;
    static final int RECENT_STATUSES = 60;
    /** Pages open at once; a further one gets 503, so that slow pages cannot pile up threads. */
    static final int MAX_PAGES = 16;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> ASSETS = Map.of(
            "/", "index.html",
            "/dashboard.js", "dashboard.js",
            "/dashboard.css", "dashboard.css");
    /** Tells a page's writer thread to end; compared by identity. */
    private static final String END = new String("end");

    private final HttpServer http;
    private final String host;
    private final ExecutorService threads;
    private final ScheduledExecutorService ticker;
    private final Set<BlockingQueue<String>> pages = new CopyOnWriteArraySet<>();
    private final Object lock = new Object(); // guards the recent messages and pages' queues against a page opening
    private final Deque<String> recentChanges = new ArrayDeque<>();
    private final Deque<String> recentStatuses = new ArrayDeque<>();
    private final AtomicLong dropped = new AtomicLong();
    private volatile String lastStatus = "{}";

    private DashboardServer(HttpServer http, String host) {
        this.http = http;
        this.host = host;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> daemon(r, "dashboard-http-" + n.incrementAndGet()));
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "dashboard-status"));
    }

    /** Takes the port now, so that a port in use fails before PostgreSQL and the engine start; serves after {@link #start}. */
    static DashboardServer bind(String host, int port) throws IOException {
        return new DashboardServer(HttpServer.create(new InetSocketAddress(host, port), 50), host);
    }

    /** Serves the page, and every second broadcasts {@code status.get()} as the {@code status} message. */
    void start(Supplier<String> metrics, Supplier<Map<String, Object>> status) {
        Map<String, byte[]> assets = new HashMap<>();
        ASSETS.forEach((path, name) -> assets.put(path, resource(name)));
        http.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case "/events":
                    events(exchange);
                    break;
                case "/status":
                    respond(exchange, 200, "application/json", lastStatus.getBytes(StandardCharsets.UTF_8));
                    break;
                case "/metrics":
                    respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get().getBytes(StandardCharsets.UTF_8));
                    break;
                default:
                    byte[] asset = assets.get(path);
                    if (asset == null) {
                        respond(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
                    } else {
                        respond(exchange, 200, contentType(ASSETS.get(path)), asset);
                    }
            }
        });
        http.setExecutor(threads);
        http.start();
        ticker.scheduleAtFixedRate(() -> {
            try {
                String json = JSON.writeValueAsString(status.get());
                lastStatus = json;
                broadcast("status", json);
            } catch (JsonProcessingException | RuntimeException e) {
                System.err.println("dashboard status failed: " + e);
            }
        }, 0, 1, TimeUnit.SECONDS);
    }

    /** Where a browser finds the page. */
    String url() {
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
        return "http://" + shown + ":" + http.getAddress().getPort() + "/";
    }

    /** Messages dropped for pages that read too slowly, since the start. */
    long dropped() {
        return dropped.get();
    }

    /** Queues a server-sent event for every open page; never blocks on one. */
    void broadcast(String event, String json) {
        String message = "event: " + event + "\ndata: " + json + "\n\n";
        synchronized (lock) {
            Deque<String> recent = event.equals("change") ? recentChanges : recentStatuses;
            recent.addLast(message);
            if (recent.size() > (event.equals("change") ? RECENT_CHANGES : RECENT_STATUSES)) {
                recent.removeFirst();
            }
            for (BlockingQueue<String> page : pages) {
                while (!page.offer(message)) {
                    if (page.poll() != null) {
                        dropped.incrementAndGet();
                    }
                }
            }
        }
    }

    /** One open page: its queue is filled with the recent messages, then written until it goes away. */
    private void events(HttpExchange exchange) throws IOException {
        if (pages.size() >= MAX_PAGES) {
            respond(exchange, 503, "text/plain; charset=utf-8", ("more than " + MAX_PAGES + " pages open\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        synchronized (lock) {
            queue.addAll(recentStatuses);
            queue.addAll(recentChanges);
            pages.add(queue);
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write("retry: 1000\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> batch = new ArrayList<>();
            while (true) {
                String first = queue.poll(15, TimeUnit.SECONDS);
                if (first == null) {
                    batch.add(": still here\n\n"); // a comment: finds pages that went away while all is quiet
                } else {
                    batch.add(first);
                    queue.drainTo(batch, 255);
                }
                for (String message : batch) {
                    if (message == END) {
                        return;
                    }
                    out.write(message.getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                batch.clear();
            }
        } catch (IOException pageClosed) {
            // The browser went away; its queue goes with it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pages.remove(queue);
            exchange.close();
        }
    }

    /** Ends every page's stream, then stops the server and its threads. */
    @Override
    public void close() {
        ticker.shutdownNow();
        synchronized (lock) {
            for (BlockingQueue<String> page : pages) {
                page.clear();
                page.offer(END);
            }
        }
        http.stop(1);
        threads.shutdownNow();
    }

    private static void respond(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                exchange.getResponseBody().write(body);
            }
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = DashboardServer.class.getResourceAsStream("/dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + name + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        return name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
