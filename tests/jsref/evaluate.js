// Evaluates JSON Logic rules with json-logic-js, the reference implementation, for the
// differential test (tests/unit/test_jsonlogic_reference.py).
//
//   node tests/jsref/evaluate.js MODULE_DIR
//
// Reads one JSON array [rule, data] per line on stdin and writes one JSON line per input:
// the result in a tagged form JSON can carry exactly (numbers as {"n": String(x)}, with
// minus zero as "-0"; objects as {"o": {...}}; undefined as {"u": 1}), or {"error": message}.
"use strict";
const path = require("path");
const readline = require("readline");

const jsonLogic = require(path.join(process.argv[2], "node_modules", "json-logic-js"));
console.log = () => {}; // "log" must not write into the answers

function tagged(value) {
  if (value === undefined) return { u: 1 };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return { n: Object.is(value, -0) ? "-0" : String(value) };
  if (Array.isArray(value)) return Array.from(value, tagged);
  if (typeof value === "object") {
    const fields = {};
    for (const key of Object.keys(value)) fields[key] = tagged(value[key]);
    return { o: fields };
  }
  return { other: typeof value };
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let answer;
  try {
    const [rule, data] = JSON.parse(line);
    answer = tagged(jsonLogic.apply(rule, data));
  } catch (error) {
    answer = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
