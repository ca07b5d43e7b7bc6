# Runs the native program and checks its exit code and what it printed.
#   cmake -DPROGRAM=... -DFILE=... -DEXIT=2 [-DFLAGS=--strict] [-DSTDERR_MATCH=regex] -P run_and_check.cmake
execute_process(COMMAND ${PROGRAM} run ${FLAGS} ${FILE}
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code STREQUAL EXIT)
  message(FATAL_ERROR "exit ${code}, expected ${EXIT}\nstderr: ${err}")
endif()
if(DEFINED STDERR_MATCH AND NOT err MATCHES "${STDERR_MATCH}")
  message(FATAL_ERROR "stderr does not match '${STDERR_MATCH}':\n${err}")
endif()
if(DEFINED STDOUT_MATCH AND NOT out MATCHES "${STDOUT_MATCH}")
  message(FATAL_ERROR "stdout does not match '${STDOUT_MATCH}':\n${out}")
endif()
