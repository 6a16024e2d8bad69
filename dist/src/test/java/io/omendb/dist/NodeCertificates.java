package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What docs/CONFIG.md ({@code tls_cert_file}) requires of a node certificate, checked on the PEM files a
 * deployment's script made: signed by the cluster CA, not itself a CA, key usage digitalSignature, extended key
 * usages serverAuth and clientAuth (Raft peers use one certificate both ways), and a subjectAltName for every host
 * the node is reached by (its Raft address's host, the names and addresses clients and probes use).
 */
final class NodeCertificates {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;
    private static final int DIGITAL_SIGNATURE = 0;

    private NodeCertificates() {
    }

    static void assertNodeCertificate(Path certPem, Path caPem, Collection<String> hosts) throws Exception {
        X509Certificate cert = read(certPem);
        X509Certificate ca = read(caPem);
        String what = certPem.getFileName().toString();
        cert.verify(ca.getPublicKey());
        cert.checkValidity();
        assertEquals(-1, cert.getBasicConstraints(), what + " must not be a CA certificate");
        assertNotNull(cert.getKeyUsage(), what + " has no key usage");
        assertTrue(cert.getKeyUsage()[DIGITAL_SIGNATURE], what + " lacks key usage digitalSignature");
        List<String> extended = cert.getExtendedKeyUsage();
        assertNotNull(extended, what + " has no extended key usage");
        assertTrue(extended.containsAll(List.of(SERVER_AUTH, CLIENT_AUTH)), what + " needs serverAuth and clientAuth: "
                + extended);
        Set<String> names = new TreeSet<>();
        Set<String> addresses = new TreeSet<>();
        assertNotNull(cert.getSubjectAlternativeNames(), what + " has no subjectAltName");
        for (List<?> san : cert.getSubjectAlternativeNames()) {
            int type = (Integer) san.get(0);
            if (type == SAN_DNS) {
                names.add((String) san.get(1));
            } else if (type == SAN_IP) {
                addresses.add((String) san.get(1));
            }
        }
        for (String host : hosts) {
            boolean isAddress = host.chars().allMatch(c -> Character.isDigit(c) || c == '.' || c == ':');
            assertTrue((isAddress ? addresses : names).contains(host), what + " does not name " + host
                    + " (DNS " + names + ", IP " + addresses + ")");
        }
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
