package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.omendb.router.security.Credentials;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Hostile text for every decoder that sees client input before any validation: percent-decoding of keys and
 * query strings, base64 bodies, JSON bodies, and the Authorization header. Random and mutated inputs (broken
 * escapes, invalid UTF-8, control bytes, deep nesting) must decode or be refused with the declared error
 * ({@link ApiException} with a 4xx status; {@code MalformedCredentialsException} for credentials) — nothing
 * else escapes, so the dispatcher never answers 500 to bad input. Seeded ({@code -Ddecode.seed=...}).
 */
class DecodingPropertyTest {
    private static final long SEED = Long.getLong("decode.seed", 0xDEC0DEL);
    private static final int CASES = 5_000;
    private static final String ALPHABET = "%0123456789abcdefABCDEF=&+/:;?#[]@!$'()*,~-._ \"{}\\\u00e9\u0000\n\u20ac";

    @Test
    void percentQueryBase64JsonAndCredentialsRefuseOnlyWithTheirDeclaredErrors() {
        Random random = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            String text = randomText(random);
            byte[] raw = randomBytes(random);
            String context = "seed " + SEED + " case " + i + " text=" + escape(text) + " raw="
                    + HexFormat.of().formatHex(raw);
            expectApiOr4xx(context, () -> PercentCodec.decode(text, "key"));
            expectApiOr4xx(context, () -> QueryParams.parse(text));
            expectApiOr4xx(context, () -> BodyEncoding.BASE64.decode(text, "value"));
            expectApiOr4xx(context, () -> BodyEncoding.fromParam(text));
            expectApiOr4xx(context, () -> Json.readObject(raw, Set.of("ops", "value", "expected")));
            expectApiOr4xx(context, () -> Json.readObject(mutatedJson(random).getBytes(StandardCharsets.UTF_8),
                    Set.of("ops", "value", "expected")));
            try {
                Credentials.parse(random.nextBoolean() ? "Basic " + Base64.getEncoder().encodeToString(raw) : text);
            } catch (Credentials.MalformedCredentialsException expected) {
                // the declared refusal
            } catch (RuntimeException e) {
                fail(context + ": credentials threw " + e, e);
            }
        }
    }

    @Test
    void percentEncodingRoundTripsEveryByteString() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < 2_000; i++) {
            byte[] key = randomBytes(random);
            assertArrayEquals(key, PercentCodec.decode(PercentCodec.encode(key), "key"), "seed " + SEED + " case " + i);
        }
    }

    private static void expectApiOr4xx(String context, Runnable decode) {
        try {
            decode.run();
        } catch (ApiException e) {
            assertTrue(e.error().status() >= 400 && e.error().status() < 500, context + ": " + e.error());
        } catch (RuntimeException | StackOverflowError e) {
            fail(context + ": " + e, e);
        }
    }

    private static String mutatedJson(Random random) {
        String[] seeds = {"{\"ops\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"b\"}]}", "{\"expected\":null,\"value\":\"x\"}",
                "[".repeat(5_000), "{\"value\":\"\\ud800\"}", "{\"value\":1e999999}", "{\"a\":".repeat(2_000)};
        StringBuilder b = new StringBuilder(seeds[random.nextInt(seeds.length)]);
        for (int m = random.nextInt(4); m > 0 && b.length() > 0; m--) {
            int at = random.nextInt(b.length());
            switch (random.nextInt(3)) {
                case 0 -> b.deleteCharAt(at);
                case 1 -> b.insert(at, ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                default -> b.setLength(at);
            }
        }
        return b.toString();
    }

    private static String randomText(Random random) {
        StringBuilder b = new StringBuilder();
        for (int n = random.nextInt(40); n > 0; n--) {
            b.append(random.nextInt(4) == 0 ? (char) random.nextInt(0x3000) : ALPHABET.charAt(random.nextInt(
                    ALPHABET.length())));
        }
        return b.toString();
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(64)];
        random.nextBytes(b);
        return b;
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : String.format("\\u%04x", c)));
        return b.toString();
    }
}
