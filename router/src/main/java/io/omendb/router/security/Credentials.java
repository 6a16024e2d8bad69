package io.omendb.router.security;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * What an {@code Authorization} header carries: HTTP Basic (RFC 7617, UTF-8) or a session token (RFC 6750
 * Bearer). Parsing never throws anything but {@link MalformedCredentialsException}, whose message never contains
 * the secret. {@link #toString()} of both forms hides the secret, so credentials cannot end up in a log line.
 */
public sealed interface Credentials {
    /** Longest Authorization header value considered; longer ones are refused unread. */
    int HEADER_CHARS_MAX = 4096;

    record Basic(String user, byte[] password) implements Credentials {
        @Override
        public String toString() {
            return "Basic[user=" + UserStore.sanitize(user) + "]";
        }
    }

    record Bearer(String token) implements Credentials {
        @Override
        public String toString() {
            return "Bearer[hidden]";
        }
    }

    final class MalformedCredentialsException extends Exception {
        MalformedCredentialsException(String message) {
            super(message, null, false, false);
        }
    }

    /** Index of the first ':' in valid UTF-8 (a multi-byte character never contains the byte 0x3a). */
    private static int colon(byte[] utf8) {
        for (int i = 0; i < utf8.length; i++) {
            if (utf8[i] == ':') {
                return i;
            }
        }
        throw new IllegalStateException("checked by the caller");
    }

    /** Parses an Authorization header value. */
    static Credentials parse(String header) throws MalformedCredentialsException {
        if (header.length() > HEADER_CHARS_MAX) {
            throw new MalformedCredentialsException("Authorization header is longer than " + HEADER_CHARS_MAX);
        }
        int space = header.indexOf(' ');
        String scheme = space < 0 ? header : header.substring(0, space);
        String value = space < 0 ? "" : header.substring(space + 1).strip();
        if (scheme.equalsIgnoreCase("Bearer") && !value.isEmpty()) {
            return new Bearer(value);
        }
        if (!scheme.equalsIgnoreCase("Basic") || value.isEmpty()) {
            throw new MalformedCredentialsException("Authorization must be 'Basic base64(user:password)' or "
                    + "'Bearer TOKEN'");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new MalformedCredentialsException("Basic credentials are not valid base64");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(decoded)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedCredentialsException("Basic credentials are not valid UTF-8");
        }
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new MalformedCredentialsException("Basic credentials must be user:password");
        }
        return new Basic(text.substring(0, colon), Arrays.copyOfRange(decoded, colon(decoded) + 1, decoded.length));
    }
}
