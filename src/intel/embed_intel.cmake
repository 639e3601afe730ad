# Build-time step: turns the ruleset/intel files into a C++ source (byte arrays, so no quoting
# or raw-string delimiter can break). Run with -DOUT=<file.cc> -DFILES=<a;b;c>.
set(body "")
set(table "")
set(i 0)
foreach(f ${FILES})
  file(READ "${f}" hex HEX)
  string(LENGTH "${hex}" hex_len)
  math(EXPR n "${hex_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  get_filename_component(name "${f}" NAME)
  string(APPEND body "constexpr char kData${i}[] = {${bytes} 0};\n")
  string(APPEND table "    {\"${name}\", std::string_view(kData${i}, ${n})},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
"// Generated from ruleset/intel by src/intel/embed_intel.cmake. Do not edit.\n"
"#include \"intel/intel_defaults.h\"\n\n"
"namespace mw::intel::internal {\nnamespace {\n${body}"
"constexpr EmbeddedFile kFiles[] = {\n${table}};\n}  // namespace\n\n"
"std::span<const EmbeddedFile> EmbeddedIntelFiles() { return kFiles; }\n\n"
"}  // namespace mw::intel::internal\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
