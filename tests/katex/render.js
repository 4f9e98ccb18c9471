// Reads a JSON list of {tex, display} from standard input and renders each with KaTeX
// (throwOnError: an unsupported command or a syntax error is an error); prints a JSON list
// of the error messages ("" where the formula rendered).
const katex = require("katex");
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(({ tex, display }) => {
    try {
      katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "error" });
      return "";
    } catch (e) {
      return String(e.message || e);
    }
  });
  process.stdout.write(JSON.stringify(out));
});
