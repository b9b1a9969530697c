// JSON for the tests: json-glib parses; Json is a small read-only view of its tree;
// validate() checks a value against the subset of JSON Schema the project's schemas
// use (docs/faceexport.schema.json, docs/facepublish-event.schema.json) and throws on
// any other keyword, so a schema cannot use more than what is checked.
#pragma once

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include "common.h"

namespace testutil {

// A read-only view of a node of a json-glib document; every view keeps the document alive.
class Json {
 public:
  enum Type { Null, Bool, Number, String, Array, Object };

  // Parses a whole document; throws std::runtime_error with json-glib's message.
  static Json parse(const std::string& text) {
    JsonParser* p = json_parser_new();
    GError* err = nullptr;
    if (!json_parser_load_from_data(p, text.c_str(), static_cast<gssize>(text.size()), &err)) {
      std::string msg = std::string("JSON: ") + (err ? err->message : "parse error");
      g_clear_error(&err);
      g_object_unref(p);
      throw std::runtime_error(msg);
    }
    JsonNode* root = json_parser_get_root(p);
    if (root == nullptr) {
      g_object_unref(p);
      throw std::runtime_error("JSON: empty document");
    }
    JsonNode* copy = json_node_copy(root);  // objects/arrays are shared by reference
    g_object_unref(p);
    return Json(copy, std::shared_ptr<JsonNode>(copy, json_node_unref));
  }

  Json() = default;

  Type type() const {
    switch (JSON_NODE_TYPE(node_)) {
      case JSON_NODE_NULL: return Null;
      case JSON_NODE_OBJECT: return Object;
      case JSON_NODE_ARRAY: return Array;
      case JSON_NODE_VALUE: break;
    }
    const GType t = json_node_get_value_type(node_);
    if (t == G_TYPE_BOOLEAN) return Bool;
    if (t == G_TYPE_STRING) return String;
    return Number;  // gint64 or gdouble
  }
  bool is_null() const { return type() == Null; }
  // Written without a fraction or exponent (json-glib parses those as gint64).
  bool is_integer_literal() const {
    return type() == Number && json_node_get_value_type(node_) == G_TYPE_INT64;
  }
  double num() const {
    if (type() != Number) throw std::runtime_error("JSON: not a number");
    return json_node_get_value_type(node_) == G_TYPE_INT64 ? static_cast<double>(json_node_get_int(node_))
                                                           : json_node_get_double(node_);
  }
  gint64 integer() const {
    if (!is_integer_literal()) throw std::runtime_error("JSON: not an integer");
    return json_node_get_int(node_);
  }
  bool boolean() const { return json_node_get_boolean(node_); }
  std::string str() const {
    if (type() != String) throw std::runtime_error("JSON: not a string");
    return json_node_get_string(node_);
  }
  // Object member, or an invalid view (!*this) when absent or not an object.
  Json get(const std::string& k) const {
    if (type() != Object) return Json();
    return Json(json_object_get_member(json_node_get_object(node_), k.c_str()), owner_);
  }
  Json at(const std::string& k) const {
    Json j = get(k);
    if (!j) throw std::runtime_error("JSON: no key " + k);
    return j;
  }
  explicit operator bool() const { return node_ != nullptr; }
  size_t size() const {
    if (type() == Array) return json_array_get_length(json_node_get_array(node_));
    if (type() == Object) return json_object_get_size(json_node_get_object(node_));
    throw std::runtime_error("JSON: not an array or object");
  }
  Json operator[](size_t i) const {
    if (type() != Array) throw std::runtime_error("JSON: not an array");
    return Json(json_array_get_element(json_node_get_array(node_), static_cast<guint>(i)), owner_);
  }
  std::vector<Json> items() const {
    std::vector<Json> v;
    for (size_t i = 0; i < size(); ++i) v.push_back((*this)[i]);
    return v;
  }
  // Member names in document order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    if (type() != Object) return out;
    GList* l = json_object_get_members(json_node_get_object(node_));  // in order
    for (GList* i = l; i; i = i->next) out.push_back(static_cast<const char*>(i->data));
    g_list_free(l);
    return out;
  }
  JsonNode* node() const { return node_; }

 private:
  Json(JsonNode* n, std::shared_ptr<JsonNode> owner) : node_(n), owner_(std::move(owner)) {}
  JsonNode* node_ = nullptr;
  std::shared_ptr<JsonNode> owner_;  // the document's root: every view keeps it alive
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A schema file of docs/, parsed once per process.
inline const Json& schema(const std::string& name) {
  static std::vector<std::pair<std::string, Json>> cache;
  for (const auto& [n, j] : cache)
    if (n == name) return j;
  const std::string path = source_root() + "/docs/" + name;
  const std::string text = read_text(path);
  fail_if(text.empty(), "cannot read %s", path.c_str());
  cache.emplace_back(name, Json::parse(text));
  return cache.back().second;
}

inline bool type_matches(const std::string& t, const Json& v) {
  if (t == "null") return v.type() == Json::Null;
  if (t == "boolean") return v.type() == Json::Bool;
  if (t == "string") return v.type() == Json::String;
  if (t == "array") return v.type() == Json::Array;
  if (t == "object") return v.type() == Json::Object;
  if (t == "number") return v.type() == Json::Number;
  // JSON Schema: a number with a zero fraction is an integer
  if (t == "integer") return v.type() == Json::Number && std::floor(v.num()) == v.num();
  throw std::runtime_error("schema: unknown type " + t);
}

inline bool json_equal(const Json& a, const Json& b) {
  return json_node_equal(a.node(), b.node());
}

// Validates v against schema; appends "path: problem" to errors. Throws on a
// schema keyword this validator does not implement.
inline void validate(const Json& schema, const Json& v, const std::string& path,
                     std::vector<std::string>& errors) {
  if (schema.type() != Json::Object) throw std::runtime_error("schema at " + path + " not an object");
  for (const std::string& kw : schema.keys()) {
    const Json arg = schema.at(kw);
    if (kw == "$schema" || kw == "$id" || kw == "title" || kw == "description") continue;
    if (kw == "type") {
      bool ok = false;
      if (arg.type() == Json::String) {
        ok = type_matches(arg.str(), v);
      } else {
        for (const Json& t : arg.items()) ok = ok || type_matches(t.str(), v);
      }
      if (!ok) errors.push_back(path + ": wrong type");
    } else if (kw == "required") {
      if (v.type() != Json::Object) continue;
      for (const Json& k : arg.items())
        if (!v.get(k.str())) errors.push_back(path + ": missing \"" + k.str() + "\"");
    } else if (kw == "properties") {
      if (v.type() != Json::Object) continue;
      for (const std::string& k : arg.keys())
        if (const Json field = v.get(k)) validate(arg.at(k), field, path + "." + k, errors);
    } else if (kw == "additionalProperties") {
      if (arg.type() != Json::Bool) throw std::runtime_error("schema: additionalProperties not bool");
      if (v.type() != Json::Object || arg.boolean()) continue;
      const Json props = schema.get("properties");
      for (const std::string& k : v.keys())
        if (!props || !props.get(k)) errors.push_back(path + ": undocumented field \"" + k + "\"");
    } else if (kw == "items") {
      if (v.type() != Json::Array) continue;
      for (size_t i = 0; i < v.size(); ++i) validate(arg, v[i], path + "[" + std::to_string(i) + "]", errors);
    } else if (kw == "minItems" || kw == "maxItems") {
      if (v.type() != Json::Array) continue;
      const double n = static_cast<double>(v.size());
      if (kw == "minItems" ? n < arg.num() : n > arg.num())
        errors.push_back(path + ": " + kw + " " + std::to_string(static_cast<int>(arg.num())) + ", has " +
                         std::to_string(v.size()));
    } else if (kw == "minimum" || kw == "maximum") {
      if (v.type() != Json::Number) continue;
      if (kw == "minimum" ? v.num() < arg.num() : v.num() > arg.num())
        errors.push_back(path + ": " + kw + " " + std::to_string(arg.num()) + ", is " + std::to_string(v.num()));
    } else if (kw == "enum") {
      bool found = false;
      for (const Json& e : arg.items()) found = found || json_equal(e, v);
      if (!found) errors.push_back(path + ": not one of the enum values");
    } else {
      throw std::runtime_error("schema keyword not supported by the test validator: " + kw);
    }
  }
}

// The problems of one JSON text against docs/<schema_name>; empty when valid.
inline std::vector<std::string> schema_errors(const std::string& text,
                                              const std::string& schema_name = "faceexport.schema.json") {
  std::vector<std::string> errors;
  try {
    validate(schema(schema_name), Json::parse(text), "$", errors);
  } catch (const std::exception& e) {
    errors.push_back(e.what());
  }
  return errors;
}

inline void assert_valid(const std::string& text, const std::string& schema_name = "faceexport.schema.json") {
  const auto errors = schema_errors(text, schema_name);
  for (const auto& e : errors) g_print("  schema: %s\n", e.c_str());
  fail_unless(errors.empty(), "not valid against docs/%s: %s\n%s", schema_name.c_str(),
              errors.empty() ? "" : errors[0].c_str(), text.c_str());
}

// Every property of a schema has a "description".
inline void assert_documented(const Json& s, const std::string& path = "$") {
  if (const Json props = s.get("properties"))
    for (const std::string& k : props.keys()) {
      fail_unless(static_cast<bool>(props.at(k).get("description")), "schema: %s.%s has no description",
                  path.c_str(), k.c_str());
      assert_documented(props.at(k), path + "." + k);
    }
  if (const Json items = s.get("items")) assert_documented(items, path + "[]");
}

}  // namespace testutil
