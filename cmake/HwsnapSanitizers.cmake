# Sanitizer builds, chosen by the presets (HWSNAP_SANITIZE=address;undefined or thread).
# Applied to every target so the whole process is instrumented; the Debian
# libraries we link are not, which is why the core synchronises only through
# std::mutex/std::condition_variable (pthread calls ThreadSanitizer intercepts).
set(HWSNAP_SANITIZE "" CACHE STRING "Sanitizers to enable: address;undefined or thread")
if(HWSNAP_SANITIZE)
  list(JOIN HWSNAP_SANITIZE "," _hwsnap_san)
  add_compile_options(-fsanitize=${_hwsnap_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_hwsnap_san})
  message(STATUS "hwsnap: sanitizers ${_hwsnap_san}")
endif()
