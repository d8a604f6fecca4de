# Helpers shared by the tests and benchmarks.

# nnworld_add_test(NAME DIR): one GoogleTest executable from every *.cpp under tests/DIR.
function(nnworld_add_test name dir)
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
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()
