package io.omendb.router.http;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How keys and values appear as JSON strings: UTF-8 text (default) or standard base64 ({@code ?encoding=base64}).
 * Both directions are strict: invalid base64, unpaired surrogates, or stored bytes that are not valid UTF-8 are
 * refused with a 400 that names the field, never silently replaced.
 */
public enum BodyEncoding {
    UTF8, BASE64;

    public static final String PARAM = "encoding";

    /** The encoding named by the raw query value, UTF8 when absent. */
    public static BodyEncoding fromParam(String rawOrNull) {
        if (rawOrNull == null || rawOrNull.equals("utf8")) {
            return UTF8;
        }
        if (rawOrNull.equals("base64")) {
            return BASE64;
        }
        throw ApiError.badRequest("bad_encoding", "encoding must be utf8 or base64, got '" + rawOrNull + "'")
                .asException();
    }

    public byte[] decode(String text, String field) {
        if (this == BASE64) {
            try {
                return Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("bad_base64", field + " is not valid base64: " + e.getMessage())
                        .asException();
            }
        }
        try {
            ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
            byte[] out = new byte[bytes.remaining()];
            bytes.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("bad_utf8", field + " contains an unpaired surrogate").asException();
        }
    }

    public String encode(byte[] bytes, String field) {
        if (this == BASE64) {
            return Base64.getEncoder().encodeToString(bytes);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.badRequest("not_utf8", field + " holds bytes that are not UTF-8; retry with ?encoding=base64")
                    .asException();
        }
    }
}
