# Helpers that every CMakeLists.txt of the project uses: one to declare a library, one for an
# executable, one for a test. They apply the project's warnings and architecture flags so that
# no target is built differently by accident.

function(pfopt_set_compile_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  # -Wno-restrict: GCC 12 reports false positives inside libstdc++ for `"text" + std::to_string(i)`
  # at -O3 (GCC bug 105329); the project has no restrict-qualified code for it to protect.
  # -Wno-maybe-uninitialized: false positives inside Eigen's expression templates at -O3.
  # -Wno-missing-field-initializers: GCC 12 warns about designated initializers such as
  # {.num_points = 12} although every member has a default initialiser.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wno-maybe-uninitialized -Wno-restrict
                                           -Wno-missing-field-initializers)
  if(PFOPT_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# The -march flag changes Eigen's vector alignment, which is part of the ABI of every type in the
# engine's public headers: mixing objects built with different flags corrupts memory. So the
# engine carries it PUBLIC and every consumer (our targets and find_package users) inherits it.
function(pfopt_set_arch target scope)
  if(PFOPT_ARCH)
    target_compile_options(${target} ${scope} -march=${PFOPT_ARCH})
  endif()
endfunction()

# pfopt_add_library(<name> ALIAS <ns::name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...]
#                   [PUBLIC_INCLUDES ...])
function(pfopt_add_library name)
  cmake_parse_arguments(ARG "" "ALIAS" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS;PUBLIC_INCLUDES" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  if(ARG_ALIAS)
    add_library(${ARG_ALIAS} ALIAS ${name})
  endif()
  pfopt_set_compile_options(${name})
  pfopt_set_arch(${name} PUBLIC)
  target_include_directories(${name} PUBLIC ${ARG_PUBLIC_INCLUDES})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# pfopt_add_executable(<name> SOURCES ... [DEPS ...] [OUTPUT_NAME <file name>])
function(pfopt_add_executable name)
  cmake_parse_arguments(ARG "" "OUTPUT_NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  pfopt_set_compile_options(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(ARG_OUTPUT_NAME)
    set_target_properties(${name} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
endfunction()

# pfopt_add_test(<name> SOURCES ... [DEPS ...] [LABELS unit|integration|e2e|slow ...]
#                [WORKING_DIRECTORY dir])
# One GoogleTest executable per unit; every test case is registered with CTest (gtest_discover
# would need the binary at configure time, so the executable is one CTest test with labels).
function(pfopt_add_test name)
  cmake_parse_arguments(ARG "" "WORKING_DIRECTORY" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT PFOPT_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  pfopt_set_compile_options(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    PFOPT_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    PFOPT_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  endif()
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1 WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 600)
endfunction()
