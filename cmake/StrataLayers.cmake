# Layer enforcement: each folder's library sees only the folders it may depend on.
#
# Sources include each other by folder path ("sim/event_queue.hpp", "models/gpu.hpp"). Instead of putting
# the repository root on the include path (which would let sim/ include models/), every layer gets its own
# include directory in the build tree holding symbolic links to exactly the folders it may use. A header
# included the wrong way is then simply not found, and the build fails.
#
# strata_layer_include_dir(<out-var> <layer> <visible-folder>...)
function(strata_layer_include_dir out_var layer)
  set(dir "${CMAKE_BINARY_DIR}/layer_include/${layer}")
  file(MAKE_DIRECTORY "${dir}")
  foreach(folder IN LISTS ARGN)
    if(NOT EXISTS "${dir}/${folder}")
      file(CREATE_LINK "${CMAKE_SOURCE_DIR}/${folder}" "${dir}/${folder}" SYMBOLIC)
    endif()
  endforeach()
  set(${out_var} "${dir}" PARENT_SCOPE)
endfunction()
