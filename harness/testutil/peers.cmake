# Loopback test peers: throw-away PKI (openssl CLI), nginx, raw in-test
# servers.  Included from harness/testutil/CMakeLists.txt after x7testutil
# exists.  The peers need nginx-light, openssl and libcurl (for the
# self-test) at test time; ci/deps.sh installs them.
find_package(Threads REQUIRED)
pkg_check_modules(X7_PEERS_CURL REQUIRED IMPORTED_TARGET libcurl)

add_library(x7peers STATIC
  ${CMAKE_CURRENT_LIST_DIR}/peer_tls.c
  ${CMAKE_CURRENT_LIST_DIR}/peer_nginx.c
  ${CMAKE_CURRENT_LIST_DIR}/peer_raw.c)
target_include_directories(x7peers PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(x7peers PUBLIC x7testutil Threads::Threads)

add_executable(test_peers ${CMAKE_CURRENT_LIST_DIR}/test_peers.c)
target_link_libraries(test_peers PRIVATE x7peers PkgConfig::X7_PEERS_CURL)
add_test(NAME test_peers COMMAND test_peers)
set_tests_properties(test_peers PROPERTIES TIMEOUT 120 LABELS "peers")
