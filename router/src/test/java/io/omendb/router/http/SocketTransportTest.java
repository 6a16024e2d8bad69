package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The HTTP server runs on Linux's epoll where it can, and serves the same API on either transport. */
class SocketTransportTest {

    /** The packaged native library is what makes epoll available: losing it from the build would fall back silently. */
    @Test
    void linuxOnX8664RunsOnEpoll() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch")), "epoll is packaged for linux-x86_64");
        assumeTrue(!Boolean.getBoolean("io.netty.transport.noNative"), "native transports switched off");
        try (TestServer t = TestServer.start()) {
            assertEquals("epoll", t.server().transport());
        }
    }

    @Test
    void bothTransportsServeTheApi() throws Exception {
        for (SocketTransport transport : List.of(SocketTransport.best(), SocketTransport.nio())) {
            try (TestServer t = TestServer.builder().transport(transport).start()) {
                assertEquals(transport.name(), t.server().transport());
                byte[] large = new byte[60_000];
                Arrays.fill(large, (byte) 'v');
                assertEquals(200, t.send("PUT", "/v1/kv/small", "one").statusCode(), transport.name());
                assertEquals(200, t.send("PUT", "/v1/kv/large", large).statusCode(), transport.name());
                HttpResponse<byte[]> small = t.get("/v1/kv/small");
                assertEquals(200, small.statusCode(), transport.name());
                assertEquals("one", TestServer.text(small), transport.name());
                assertArrayEquals(large, t.get("/v1/kv/large").body(), transport.name());
                assertEquals(404, t.get("/v1/kv/missing").statusCode(), transport.name());
            }
        }
    }

    /**
     * A refusal sent while the client is still sending (4 MiB of request line or body) must reach the client: closing
     * with unread input would reset the connection and discard the answer ({@link LingeringClose}).
     */
    @Test
    void refusalsOfRequestsStillArrivingAreDeliveredNotReset() throws Exception {
        int bytes = 4 << 20;
        for (SocketTransport transport : List.of(SocketTransport.best(), SocketTransport.nio())) {
            try (TestServer t = TestServer.builder().transport(transport).start()) {
                String line = "GET /v1/kv/" + "k".repeat(bytes) + " HTTP/1.1\r\nHost: x\r\n\r\n";
                String answer = sendWhileReading(t.port(), line);
                assertTrue(answer.startsWith("HTTP/1.1 414 ") && answer.contains("uri_too_long"),
                        transport.name() + ": " + head(answer));
                String put = "PUT /v1/kv/big HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + bytes
                        + "\r\n\r\n" + "v".repeat(bytes);
                answer = sendWhileReading(t.port(), put);
                assertTrue(answer.startsWith("HTTP/1.1 413 ") && answer.contains("body_too_large"),
                        transport.name() + ": " + head(answer));
                assertEquals(404, t.get("/v1/kv/big").statusCode(), "the refused body was not stored");
            }
        }
    }

    /** Writes {@code request} from another thread while reading the whole answer until the server ends it. */
    private static String sendWhileReading(int port, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (IOException stoppedReading) {
                    // the server may end the connection once it has answered; the answer is what is checked
                }
            });
            writer.start();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            writer.join(10_000);
            return answer;
        }
    }

    private static String head(String answer) {
        return answer.substring(0, Math.min(200, answer.length()));
    }
}
