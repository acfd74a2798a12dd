import XCTest

/// Sources/CHedgeRuntime/ceil.c replaces libm's ceil in the Embedded builds (which then do not load
/// libm at all). Ordinary builds do not compile it, so this compiles it on its own, renamed, next to
/// a driver that compares it with libm's on the values where ceil is easy to get wrong.
final class RuntimeCeilTests: XCTestCase {
    func testCeilAgreesWithLibm() throws {
        let dir = NSTemporaryDirectory() + "hedge-ceil-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let driver = """
            #include <math.h>
            #include <stdio.h>
            #include <string.h>
            double hedge_ceil(double);
            int main(void) {
                const double v[] = { 0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0000001, -2.9999999, 0.75,
                    7.0 / 0.75, 12.0 / 0.75, 1e-300, -1e-300, 4503599627370495.5, -4503599627370495.5,
                    4503599627370496.0, 9007199254740993.0, -9007199254740993.0, 1e300, -1e300,
                    INFINITY, -INFINITY, NAN };
                int bad = 0;
                for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
                    double a = hedge_ceil(v[i]), b = ceil(v[i]);
                    if (memcmp(&a, &b, sizeof a) != 0 && !(isnan(a) && isnan(b))) { printf("ceil(%.17g): %.17g, libm %.17g\\n", v[i], a, b); bad++; }
                }
                for (long n = -200000; n <= 200000; n++) {
                    double x = n / 64.0 + 1.0 / 3.0, a = hedge_ceil(x), b = ceil(x);
                    if (a != b) { printf("ceil(%.17g): %.17g, libm %.17g\\n", x, a, b); bad++; }
                }
                printf("%d differences\\n", bad);
                return bad != 0;
            }
            """
        try driver.write(toFile: "\(dir)/driver.c", atomically: true, encoding: .utf8)
        let (rc, out) = sh("cc -O2 -DHEDGE_EMBEDDED -Dceil=hedge_ceil -c \(packageRoot)/Sources/CHedgeRuntime/ceil.c -o \(dir)/ceil.o"
                           + " && cc -O2 \(dir)/driver.c \(dir)/ceil.o -lm -o \(dir)/driver && \(dir)/driver 2>&1", check: false)
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("0 differences"), out)
    }
}
