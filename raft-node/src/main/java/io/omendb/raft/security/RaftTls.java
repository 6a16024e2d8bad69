package io.omendb.raft.security;

import io.omendb.config.OmenConfig;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Mutual TLS of the Raft transport ({@code [security] tls_enabled}): every gRPC connection between peers, and
 * from clients (routers) to peers, is TLS, and both ends must present a certificate signed by the cluster CA
 * ({@code tls_ca_file}). A peer or client with a certificate from any other CA cannot complete the handshake, so
 * it can neither join a group, vote, replicate, nor send commands.
 *
 * <p><b>How Ratis takes it.</b> Ratis 3.3.0's {@code GrpcFactory} reads one {@link GrpcTlsConfig} from the
 * {@link Parameters} under {@link GrpcConfigKeys.TLS} and uses it for the server, client and admin channels
 * (server contexts require client certificates when mTLS is on; client contexts present the key and trust the
 * CA). The same parameters go to the {@code RaftServer} builder and to every {@code RaftClient} builder. Each node's
 * certificate is therefore used both as a server and as a client certificate: it needs extended key usages
 * serverAuth and clientAuth, and a subjectAltName matching the host in its {@code raft_address} (gRPC checks the
 * host name). docs/SECURITY.md has the openssl commands.
 *
 * @param certFile PEM certificate chain of this node (leaf first)
 * @param keyFile  PEM PKCS#8 private key of this node
 * @param caFile   PEM certificate of the cluster CA
 */
public record RaftTls(Path certFile, Path keyFile, Path caFile) {

    /** The TLS files of {@code config}, or null when {@code tls_enabled} is false. */
    public static RaftTls fromOrNull(OmenConfig config) {
        OmenConfig.Security s = config.security();
        if (!s.tlsEnabled()) {
            return null;
        }
        Path dataDir = config.database().dataDir();
        return new RaftTls(OmenConfig.Security.resolve(dataDir, s.tlsCertFile()),
                OmenConfig.Security.resolve(dataDir, s.tlsKeyFile()), OmenConfig.Security.resolve(dataDir, s.tlsCaFile()));
    }

    /** Ratis parameters carrying this TLS configuration; empty parameters (plaintext) for {@code null}. */
    public static Parameters parameters(RaftTls tlsOrNull) {
        Parameters p = new Parameters();
        if (tlsOrNull != null) {
            tlsOrNull.requireReadable();
            GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(tlsOrNull.keyFile.toFile(), tlsOrNull.certFile.toFile(),
                    tlsOrNull.caFile.toFile(), true));
        }
        return p;
    }

    private void requireReadable() {
        for (Path f : new Path[] {certFile, keyFile, caFile}) {
            if (!Files.isReadable(f)) {
                throw new IllegalArgumentException("TLS file " + f + " is not readable (security.tls_cert_file, "
                        + "tls_key_file, tls_ca_file)");
            }
        }
    }
}
