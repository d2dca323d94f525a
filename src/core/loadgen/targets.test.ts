import { describe, expect, it } from "vitest";
import type { ToolkitError } from "../errors.js";
import { parseHeaderLine, parseHttpTargets, parseJsonTargets } from "./targets.js";

/** The one-line form (`where: what`) of the error `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as ToolkitError).oneLine();
  }
  return "(no error)";
}

describe("http targets", () => {
  it("parses targets with headers, bodies, comments and blank lines", () => {
    const text = [
      "# comment",
      "GET http://127.0.0.1:8080/a",
      "X-Trace: 1",
      "Accept: text/plain",
      "",
      "POST https://example.test/b",
      "Content-Type: application/json",
      "@body.json",
      "",
      "",
      "DELETE http://127.0.0.1/c",
    ].join("\r\n");
    expect(parseHttpTargets(text, "stdin")).toEqual([
      {
        method: "GET",
        url: "http://127.0.0.1:8080/a",
        headers: [
          ["X-Trace", "1"],
          ["Accept", "text/plain"],
        ],
      },
      {
        method: "POST",
        url: "https://example.test/b",
        headers: [["Content-Type", "application/json"]],
        bodyFile: "body.json",
      },
      { method: "DELETE", url: "http://127.0.0.1/c", headers: [] },
    ]);
  });
  it.each([
    ["GET", /stdin:1: malformed target line "GET"/],
    ["get http://x/", /stdin:1: malformed target line/],
    ["GET http://x/ extra", /stdin:1: malformed target line/],
    ["GET ftp://x/", /stdin:1: invalid URL "ftp:\/\/x\/": scheme must be http or https/],
    ["GET not-a-url", /stdin:1: invalid URL "not-a-url"/],
    ["GET http://x/\nno colon here", /stdin:2: malformed header line/],
    ["GET http://x/\n@a\n@b", /stdin:3: a target can have only one @body line/],
    ["# only comments\n\n", /stdin: no targets/],
  ])("rejects %j", (text, message) => {
    expect(thrown(() => parseHttpTargets(text, "stdin"))).toMatch(message);
  });
  it("parses -header values", () => {
    expect(parseHeaderLine("Authorization: Bearer a:b", "-header")).toEqual(["Authorization", "Bearer a:b"]);
    expect(thrown(() => parseHeaderLine("nocolon", "-header"))).toMatch(/-header: invalid header "nocolon"/);
  });
});

describe("json targets", () => {
  it("parses vegeta's JSON target lines", () => {
    const text =
      '{"method":"POST","url":"http://127.0.0.1/x","body":"aGk=","header":{"A":["1","2"]}}\n\n' +
      '{"method":"GET","url":"http://127.0.0.1/y"}\n';
    const t = parseJsonTargets(text, "t.json");
    expect(t).toHaveLength(2);
    expect(t[0]).toEqual({
      method: "POST",
      url: "http://127.0.0.1/x",
      body: new Uint8Array([104, 105]),
      headers: [
        ["A", "1"],
        ["A", "2"],
      ],
    });
  });
  it.each([
    ["{not json", /t.json:1: malformed JSON target/],
    ['{"url":"http://x/"}', /t.json:1: method: required/],
    ['{"method":"GET"}', /t.json:1: url: required string/],
    ['{"method":"GET","url":"http://x/","bogus":1}', /t.json:1: bogus: unknown field/],
    ['{"method":"GET","url":"http://x/","body":"%%%"}', /t.json:1: body: body is not valid base64/],
    [
      '{"method":"GET","url":"http://x/","header":{"A":"1"}}',
      /t.json:1: header.A: must be an array of strings/,
    ],
    ['{"method":"GET","url":"mailto:x"}', /t.json:1: url: invalid URL/],
  ])("rejects %s", (line, message) => {
    expect(thrown(() => parseJsonTargets(line, "t.json"))).toMatch(message);
  });
});
