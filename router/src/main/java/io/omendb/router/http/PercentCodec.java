package io.omendb.router.http;

import java.io.ByteArrayOutputStream;

/**
 * Strict RFC 3986 percent-coding of byte strings in URLs (keys in paths, scan bounds in queries).
 *
 * <p>Decoding accepts visible ASCII (0x21..0x7E) taken literally and {@code %XY} with two hex digits; anything
 * else (a lone '%', bad hex, a raw space or non-ASCII character) is refused, so one URL names exactly one byte
 * string. '+' is a literal plus, not a space (this is not form encoding). Encoding escapes every byte outside
 * the unreserved set, so its output round-trips through {@link #decode}.
 */
public final class PercentCodec {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PercentCodec() {
    }

    /** The bytes named by {@code raw}; {@code what} names the input in the 400 message. */
    public static byte[] decode(String raw, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 1 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw bad(what, "'%' must be followed by two hex digits at offset " + i);
                }
                out.write((hi << 4) | lo);
                i += 2;
            } else if (c >= 0x21 && c <= 0x7E) {
                out.write(c);
            } else {
                throw bad(what, "character 0x" + Integer.toHexString(c) + " at offset " + i
                        + " must be percent-encoded");
            }
        }
        return out.toByteArray();
    }

    /** {@code bytes} with every byte outside {@code A-Z a-z 0-9 - . _ ~} written as {@code %XY}. */
    public static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            int v = b & 0xFF;
            if (isUnreserved(v)) {
                sb.append((char) v);
            } else {
                sb.append('%').append(HEX[v >> 4]).append(HEX[v & 0xF]);
            }
        }
        return sb.toString();
    }

    private static boolean isUnreserved(int v) {
        return (v >= 'A' && v <= 'Z') || (v >= 'a' && v <= 'z') || (v >= '0' && v <= '9')
                || v == '-' || v == '.' || v == '_' || v == '~';
    }

    private static ApiException bad(String what, String detail) {
        return ApiError.badRequest("bad_percent_encoding", what + ": " + detail).asException();
    }
}
