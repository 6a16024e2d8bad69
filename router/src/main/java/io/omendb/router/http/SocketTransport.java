package io.omendb.router.http;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The socket transport under the HTTP server: Linux's epoll through Netty's native library when it loads, else the
 * JDK's NIO selector.
 *
 * <p>Why native: an event loop wakes once per batch of ready connections and, under load, once per reply handed to it
 * by another thread; NIO pays for each wake-up in JDK selector bookkeeping (a synchronized selected-key set, key
 * objects, a wake-up pipe) and for each read or write in an extra copy through a JDK-owned direct buffer. Epoll does
 * neither (edge-triggered registration, eventfd wake-ups, reads and writes straight from Netty's buffers). Both give
 * the same semantics to the pipeline; which one runs is logged at start and can be forced to NIO with Netty's own
 * switch {@code -Dio.netty.transport.noNative=true} (docs/OPERATIONS.md).
 *
 * @param name         {@code "epoll"} or {@code "nio"}
 * @param ioHandlers   creates one I/O handler per event loop
 * @param serverChannel the listening channel type matching {@code ioHandlers}
 */
record SocketTransport(String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel) {
    /** Epoll where Netty's native transport is available on this machine, else NIO. */
    static SocketTransport best() {
        return Epoll.isAvailable()
                ? new SocketTransport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class)
                : nio();
    }

    static SocketTransport nio() {
        return new SocketTransport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }
}
