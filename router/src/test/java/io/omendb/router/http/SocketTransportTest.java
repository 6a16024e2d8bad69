package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpResponse;
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
        try (TestServer t = new TestServer()) {
            assertEquals("epoll", t.server.transport());
        }
    }

    @Test
    void bothTransportsServeTheApi() throws Exception {
        for (SocketTransport transport : List.of(SocketTransport.best(), SocketTransport.nio())) {
            try (TestServer t = new TestServer(transport)) {
                assertEquals(transport.name(), t.server.transport());
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
}
