package io.omendb.router.http;

import java.util.Base64;

/**
 * The scan continuation token: unpadded base64url of the key the next page starts at. Opaque to clients (its
 * form may change); it carries no server state, so any router can continue any scan.
 */
final class ScanCursor {
    private ScanCursor() {
    }

    static String encode(byte[] nextStartKey) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(nextStartKey);
    }

    static byte[] decode(String cursor) {
        try {
            return Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("bad_cursor", "cursor is not one this server returned").asException();
        }
    }
}
