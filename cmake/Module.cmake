# zmesh_module(<target> DIRS <dir>... [INCLUDES <dir>...] [DEPS <lib>...]): one layer of the
# code, a static library from every *.cc in the given directories (tests and main.cc
# excluded), or an interface library while a module has no sources yet. Adding a file needs
# no CMake edit.
#
# Layers run one way, and the build enforces it: a module's include root
# (<build>/layers/<target>/) holds a link to each of its own directories and nothing else, and
# a module sees only its own root and those of the modules it links (DEPS, transitively). So
# `#include "proxy/x.h"` compiles only in a module that links ztunnel_proxy; an include
# against the layer order is a compile error. scripts/check-layers (ctest `layers`, label
# lint) explains the order and names the offending line.
function(zmesh_module target)
  cmake_parse_arguments(M "" "" "DIRS;INCLUDES;DEPS" ${ARGN})
  set(srcs)
  set(root ${CMAKE_BINARY_DIR}/layers/${target})
  file(MAKE_DIRECTORY ${root})
  foreach(d ${M_DIRS})
    file(GLOB s CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${d}/*.cc)
    list(APPEND srcs ${s})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${d} ${root}/${d} SYMBOLIC)
  endforeach()
  list(FILTER srcs EXCLUDE REGEX "(_test|/main)\\.cc$")
  if(srcs)
    add_library(${target} STATIC ${srcs})
    target_link_libraries(${target} PUBLIC ${M_DEPS})
    target_include_directories(${target} PUBLIC ${root} ${M_INCLUDES})
  else()
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE ${M_DEPS})
    target_include_directories(${target} INTERFACE ${root} ${M_INCLUDES})
  endif()
endfunction()
