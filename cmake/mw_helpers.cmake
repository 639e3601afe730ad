# mw_add_library / mw_add_test / mw_add_fuzzer / mw_add_bench: one call per target, no
# PARENT_SCOPE accumulators, so the dependency graph is what the link lines say.

add_library(mw_options INTERFACE)
target_include_directories(mw_options INTERFACE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_compile_options(mw_options INTERFACE -Wall -Wextra -Wno-missing-field-initializers $<$<BOOL:${MW_WERROR}>:-Werror>)
# GCC 12 at -O3 reports false -Wrestrict overlaps inside std::string (GCC bug 105329) and false
# -Wstringop-overflow / -Warray-bounds accesses inside std::vector::insert (GCC bug 107852).
target_compile_options(mw_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict -Wno-stringop-overflow -Wno-array-bounds>)
target_link_libraries(mw_options INTERFACE tl::expected nlohmann_json::nlohmann_json)
if(MW_SANITIZE)
  target_compile_options(mw_options INTERFACE -fsanitize=${MW_SANITIZE} -fno-omit-frame-pointer
                                              -fno-sanitize-recover=all)
  target_link_options(mw_options INTERFACE -fsanitize=${MW_SANITIZE})
endif()
if(MW_BUILD_FUZZERS)
  target_compile_options(mw_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(mw_options INTERFACE -fsanitize=address,undefined)
endif()

# Link-time optimisation of the minerwatch binary in Release builds with GCC: inlining across
# the pipeline's modules (decode → flow → parsers) cuts the sensor's instructions by ~4%
# (docs/benchmarks.md). The libraries are compiled as fat LTO objects and every other program
# (tests, benchmarks, tools) links them with -fno-lto, as ordinary code: no LTO link per test.
# A program opts in with set_target_properties(<target> PROPERTIES MW_LTO ON).
option(MW_LTO "Link-time optimisation of the minerwatch binary (Release builds, GCC)" ON)
if(MW_LTO AND CMAKE_BUILD_TYPE STREQUAL "Release" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
   AND NOT MW_SANITIZE AND NOT MW_BUILD_FUZZERS)
  set(MW_LTO_ACTIVE ON)
  set(mw_lto_target "$<BOOL:$<TARGET_PROPERTY:MW_LTO>>")
  target_compile_options(mw_options INTERFACE $<${mw_lto_target}:-flto=auto>)
  target_link_options(mw_options INTERFACE $<IF:${mw_lto_target},-flto=auto,-fno-lto>)
else()
  set(MW_LTO_ACTIVE OFF)
endif()

function(mw_add_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SOURCES})
  target_link_libraries(${name} PUBLIC mw_options ${A_DEPS})
  if(MW_LTO_ACTIVE)
    target_compile_options(${name} PRIVATE -flto=auto -ffat-lto-objects)
  endif()
endfunction()

# Unit tests live next to the code they test: mw_add_test(flow_table_test DEPS mw_flow).
# The source file defaults to <name>.cc in the calling directory.
function(mw_add_test name)
  if(NOT MW_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT A_SOURCES)
    set(A_SOURCES ${name}.cc)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE mw_options ${A_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    MW_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MW_SHARED_DATA_DIR="${PROJECT_SOURCE_DIR}/../shared/data")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES ENVIRONMENT "MW_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# libFuzzer targets: clang with -DMW_BUILD_FUZZERS=ON (preset "fuzz").
function(mw_add_fuzzer name)
  if(NOT MW_BUILD_FUZZERS)
    return()
  endif()
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT A_SOURCES)
    set(A_SOURCES ${name}.cc)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE mw_options ${A_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  set_property(GLOBAL APPEND PROPERTY MW_FUZZERS ${name})
endfunction()

function(mw_add_bench name)
  if(NOT MW_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(A "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT A_SOURCES)
    set(A_SOURCES ${name}.cc)
  endif()
  add_executable(${name} ${A_SOURCES})
  target_link_libraries(${name} PRIVATE mw_options ${A_DEPS} benchmark::benchmark)
endfunction()
