// The property defaults the README documents are the elements' defaults.
//
// README.md's table "Elements and their main properties" is what users read (and
// gst-inspect-1.0 shows the GParamSpec defaults): this test parses it, so a default
// changed in the code but not in the README (or the other way round) fails here,
// instead of being compared with the very constant it was set from. Per row, every
// `property` written outside parentheses must exist on the element, and each
// "`property` (annotation)" is one of:
//   - a default: the text before the first ": " or "; " (a trailing " ms" dropped),
//     e.g. (0.6), (1000 ms), (0: the frame's size), (localhost:1883; host:port, ...);
//     deserialized as the property's type and compared with both the GParamSpec's
//     default and a new element's value;
//   - a list of choices, "a, b, c" with no ": " or "; ": each must be a value of the
//     enum or flags property;
//   - one of the few prose annotations listed in kProse, checked as said there.
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gst/check/gstcheck.h>

#include "common.h"

namespace {

struct Row {
  std::string element;
  std::string cell;  // the properties column
};

// The rows of the README's element table.
std::vector<Row> element_rows() {
  const std::string path = testutil::source_root() + "/README.md";
  std::ifstream in(path);
  fail_unless(in.good(), "cannot read %s", path.c_str());
  std::vector<Row> rows;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("### Elements and their main properties", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("### ", 0) == 0 || line.rfind("## ", 0) == 0) break;
    if (line.rfind("| `", 0) != 0) continue;
    const size_t name_end = line.find('`', 3);
    const size_t cell_start = line.find('|', name_end);
    fail_unless(name_end != std::string::npos && cell_start != std::string::npos, "bad row: %s", line.c_str());
    rows.push_back({line.substr(3, name_end - 3), line.substr(cell_start + 1)});
  }
  return rows;
}

// "`a`/`b` (annotation)" and "`c`" as (names, annotation or "", had parentheses).
struct Entry {
  std::vector<std::string> names;
  std::string annotation;
  bool annotated = false;
};

bool property_like(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

std::vector<Entry> parse_cell(const std::string& cell) {
  std::vector<Entry> out;
  size_t i = 0;
  while (i < cell.size()) {
    const char c = cell[i];
    if (c == '(' || c == '[') {  // prose or a link outside an entry: skip it whole
      const char close = c == '(' ? ')' : ']';
      int depth = 0;
      for (; i < cell.size(); ++i) {
        depth += cell[i] == c;
        depth -= cell[i] == close;
        if (depth == 0) break;
      }
      ++i;
      continue;
    }
    if (c != '`') {
      ++i;
      continue;
    }
    Entry e;
    for (;;) {  // `a` or `a`/`b`/...
      const size_t end = cell.find('`', i + 1);
      fail_unless(end != std::string::npos, "unbalanced ` in %s", cell.c_str());
      e.names.push_back(cell.substr(i + 1, end - i - 1));
      i = end + 1;
      if (cell.compare(i, 2, "/`") != 0) break;
      ++i;
    }
    if (cell.compare(i, 2, " (") == 0) {
      i += 2;
      const size_t start = i;
      int depth = 1;
      for (; i < cell.size() && depth > 0; ++i) depth += cell[i] == '(' ? 1 : cell[i] == ')' ? -1 : 0;
      fail_unless(depth == 0, "unbalanced ( in %s", cell.c_str());
      e.annotation = cell.substr(start, i - 1 - start);
      e.annotated = true;
    }
    bool all_props = true;
    for (const auto& n : e.names) all_props = all_props && property_like(n);
    if (all_props) out.push_back(e);
  }
  return out;
}

// Annotations that are not a default, and what they promise instead.
enum class Prose { kNoDefault, kWriteOnly };
const std::map<std::pair<std::string, std::string>, Prose> kProse = {
    {{"facerecognize", "model"}, Prose::kNoDefault},            // (from `facerec-train`; ...)
    {{"facerecognize", "landmarks-model"}, Prose::kNoDefault},  // (for face ROIs without landmarks)
    {{"faceexport", "source"}, Prose::kNoDefault},              // (default: the upstream URI)
    {{"facepublish", "password"}, Prose::kWriteOnly},           // (write-only)
};

std::string value_str(const GValue* v) {
  gchar* s = gst_value_serialize(v);
  std::string r = s ? s : "(null)";
  g_free(s);
  return r;
}

}  // namespace

GST_START_TEST(test_readme_defaults) {
  const std::vector<Row> rows = element_rows();
  std::set<std::string> elements;
  int defaults = 0, choices = 0, prose = 0, named = 0;
  for (const Row& row : rows) {
    elements.insert(row.element);
    GstElement* e = gst_element_factory_make(row.element.c_str(), nullptr);
    fail_unless(e != nullptr, "README element %s does not exist", row.element.c_str());
    GObjectClass* klass = G_OBJECT_GET_CLASS(e);
    for (const Entry& entry : parse_cell(row.cell)) {
      for (const std::string& name : entry.names) {
        const std::string where = row.element + " " + name;
        GParamSpec* ps = g_object_class_find_property(klass, name.c_str());
        fail_unless(ps != nullptr, "README: %s has no property %s", row.element.c_str(), name.c_str());
        ++named;
        if (!entry.annotated) continue;
        const std::string& a = entry.annotation;
        const auto p = kProse.find({row.element, name});
        if (p != kProse.end()) {
          ++prose;
          if (p->second == Prose::kWriteOnly)
            fail_unless((ps->flags & G_PARAM_READABLE) == 0 && (ps->flags & G_PARAM_WRITABLE),
                        "%s: documented write-only", where.c_str());
          continue;
        }
        const size_t cut = std::min(a.find(": "), a.find("; "));
        if (cut == std::string::npos && a.find(", ") != std::string::npos) {  // choices
          ++choices;
          const GType t = G_PARAM_SPEC_VALUE_TYPE(ps);
          fail_unless(G_TYPE_IS_ENUM(t) || G_TYPE_IS_FLAGS(t), "%s: (%s) lists choices of a %s", where.c_str(),
                      a.c_str(), g_type_name(t));
          std::stringstream ss(a);
          for (std::string nick; std::getline(ss, nick, ',');) {
            nick.erase(0, nick.find_first_not_of(' '));
            GValue v = G_VALUE_INIT;
            g_value_init(&v, t);
            fail_unless(gst_value_deserialize(&v, nick.c_str()), "%s: README choice '%s' is not a value",
                        where.c_str(), nick.c_str());
            g_value_unset(&v);
          }
          continue;
        }
        std::string text = a.substr(0, cut);
        if (text.size() > 3 && text.compare(text.size() - 3, 3, " ms") == 0) text.resize(text.size() - 3);
        GValue doc = G_VALUE_INIT, def = G_VALUE_INIT;
        g_value_init(&doc, G_PARAM_SPEC_VALUE_TYPE(ps));
        fail_unless(gst_value_deserialize(&doc, text.c_str()), "%s: README default (%s) is not a %s",
                    where.c_str(), text.c_str(), g_type_name(G_PARAM_SPEC_VALUE_TYPE(ps)));
        const GValue* spec_default = g_param_spec_get_default_value(ps);
        fail_unless(gst_value_compare(&doc, spec_default) == GST_VALUE_EQUAL,
                    "%s: README says %s, the GParamSpec (gst-inspect) default is %s", where.c_str(),
                    value_str(&doc).c_str(), value_str(spec_default).c_str());
        fail_unless(ps->flags & G_PARAM_READABLE, "%s: documented default of a write-only property",
                    where.c_str());
        g_value_init(&def, G_PARAM_SPEC_VALUE_TYPE(ps));
        g_object_get_property(G_OBJECT(e), name.c_str(), &def);
        fail_unless(gst_value_compare(&doc, &def) == GST_VALUE_EQUAL,
                    "%s: README says %s, a new element has %s", where.c_str(), value_str(&doc).c_str(),
                    value_str(&def).c_str());
        g_print("%-32s README %-16s element %s\n", where.c_str(), text.c_str(), value_str(&def).c_str());
        g_value_unset(&doc);
        g_value_unset(&def);
        ++defaults;
      }
    }
    gst_object_unref(e);
  }
  g_print("README: %zu elements, %d properties named, %d defaults, %d choice lists, %d prose notes\n",
          rows.size(), named, defaults, choices, prose);
  // the five elements, and the parser found the table's defaults (25 when written)
  const std::set<std::string> want = {"facedetect-dnn", "facerecognize", "facerec-overlay", "faceexport",
                                      "facepublish"};
  fail_unless(elements == want, "README's element table lists %zu elements", elements.size());
  fail_unless(defaults >= 25, "only %d documented defaults parsed", defaults);
  fail_unless_equals_int(prose, static_cast<int>(kProse.size()));
}
GST_END_TEST;

// The parser itself, on a made-up row.
GST_START_TEST(test_parser) {
  const auto entries =
      parse_cell(" `a` (0.6), `b`/`c` (0: auto, max(2, h/360)), `d`, see [`docs/x.json`](docs/x.json) "
                 "(set `e` while playing); `f` (x, y) |");
  fail_unless_equals_int(entries.size(), 4);
  fail_unless(entries[0].names == std::vector<std::string>{"a"} && entries[0].annotation == "0.6");
  fail_unless((entries[1].names == std::vector<std::string>{"b", "c"}) &&
              entries[1].annotation == "0: auto, max(2, h/360)");
  fail_unless(entries[2].names == std::vector<std::string>{"d"} && !entries[2].annotated);
  fail_unless(entries[3].names == std::vector<std::string>{"f"} && entries[3].annotation == "x, y");
}
GST_END_TEST;

static Suite* documented_defaults_suite() {
  Suite* s = suite_create("documented_defaults");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_parser);
  tcase_add_test(tc, test_readme_defaults);
  return s;
}

GST_CHECK_MAIN(documented_defaults);
