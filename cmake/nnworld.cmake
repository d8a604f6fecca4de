# Helpers shared by the tests and benchmarks.

# nnworld_add_test(NAME DIR [TIMEOUT]): one GoogleTest executable from every *.cpp under
# tests/DIR; each test may run TIMEOUT seconds (300 by default).
function(nnworld_add_test name dir)
  set(timeout 300)
  if(ARGC GREATER 2)
    set(timeout ${ARGV2})
  endif()
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cpp)
  if(NOT sources)
    return()
  endif()
  add_executable(${name} ${sources})
  target_link_libraries(${name} PRIVATE nnworld_lib GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    NNWORLD_BINARY="$<TARGET_FILE:nnworld>"
    NNWORLD_TEST_DATA="${CMAKE_CURRENT_SOURCE_DIR}/data")
  add_dependencies(${name} nnworld)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${timeout})
endfunction()
