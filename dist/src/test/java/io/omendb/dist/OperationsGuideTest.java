package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/OPERATIONS.md: every shell block is marked either {@code <!-- checked by: PATH ... -->} naming test or
 * script files that exist in the repository, or {@code <!-- not runnable here: reason -->}; and every
 * relative link points at a file that exists (BACKUP.md and CHAOS.md are named, not linked, until they land).
 */
class OperationsGuideTest {
    private static final Pattern CHECKED = Pattern.compile("<!-- checked by: (.+?) -->");
    private static final Pattern NOT_RUNNABLE = Pattern.compile("<!-- not runnable here: \\S.+ -->");
    private static final Pattern REPO_PATH = Pattern.compile("((?:bin|dist|docs|docker|app|router|raft-node)/[\\w./-]+)");
    private static final Pattern LINK = Pattern.compile("\\]\\(([A-Za-z0-9_.-]+\\.(?:md|yml))(#[\\w-]+)?\\)");

    @Test
    void everyShellBlockIsCheckedOrSaysWhyNot() throws Exception {
        List<String> lines = Files.readAllLines(guide());
        List<String> unmarked = new ArrayList<>();
        int blocks = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).equals("```sh")) {
                continue;
            }
            blocks++;
            String marker = i > 0 ? lines.get(i - 1) : "";
            Matcher checked = CHECKED.matcher(marker);
            if (checked.matches()) {
                Matcher paths = REPO_PATH.matcher(checked.group(1));
                boolean any = false;
                while (paths.find()) {
                    any = true;
                    Path p = DistPaths.root().resolve(paths.group(1));
                    assertTrue(Files.exists(p), "line " + (i + 1) + ": " + p + " does not exist");
                }
                assertTrue(any, "line " + (i + 1) + ": 'checked by' names no test or script path");
            } else if (!NOT_RUNNABLE.matcher(marker).matches()) {
                unmarked.add("line " + (i + 1));
            }
        }
        assertTrue(blocks >= 10, "found only " + blocks + " shell blocks");
        assertEquals(List.of(), unmarked, "shell blocks without a checked-by or not-runnable marker");
    }

    @Test
    void relativeLinksResolve() throws Exception {
        Matcher m = LINK.matcher(Files.readString(guide()));
        int links = 0;
        while (m.find()) {
            links++;
            assertTrue(Files.exists(guide().getParent().resolve(m.group(1))), "broken link " + m.group(1));
        }
        assertTrue(links > 0);
    }

    private static Path guide() {
        return DistPaths.root().resolve("docs/OPERATIONS.md");
    }
}
