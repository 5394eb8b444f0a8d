# Builds BPF programs with clang (-target bpf, CO-RE) against a vmlinux.h dumped from the
# running kernel's BTF, and generates a libbpf skeleton header with bpftool.
#
#   bpf_object(<name> <src.bpf.c>)  ->  interface target <name>_skel exposing <name>.skel.h
find_program(BPF_CLANG NAMES clang-14 clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf-gen)
set(BPF_VMLINUX_H ${BPF_GEN_DIR}/vmlinux.h)
set(BPF_BTF_SOURCE /sys/kernel/btf/vmlinux CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")

add_custom_command(
  OUTPUT ${BPF_VMLINUX_H}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${BPF_GEN_DIR}
  COMMAND ${BPFTOOL} btf dump file ${BPF_BTF_SOURCE} format c > ${BPF_VMLINUX_H}.tmp
  COMMAND ${CMAKE_COMMAND} -E rename ${BPF_VMLINUX_H}.tmp ${BPF_VMLINUX_H}
  COMMENT "Generating vmlinux.h from ${BPF_BTF_SOURCE}"
  VERBATIM)
add_custom_target(bpf_vmlinux_h DEPENDS ${BPF_VMLINUX_H})

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(bpf_object name src)
  set(obj ${BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  get_filename_component(src_abs ${src} ABSOLUTE)
  get_filename_component(src_dir ${src_abs} DIRECTORY)
  file(GLOB_RECURSE bpf_headers ${src_dir}/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -Wall -Werror -I${BPF_GEN_DIR} -I${src_dir} -c ${src_abs} -o ${obj}.tmp
    COMMAND ${BPFTOOL} gen object ${obj} ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E remove ${obj}.tmp
    DEPENDS ${src_abs} ${bpf_headers} ${BPF_VMLINUX_H}
    COMMENT "Compiling BPF object ${name}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "Generating BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${BPF_GEN_DIR} ${src_dir})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
