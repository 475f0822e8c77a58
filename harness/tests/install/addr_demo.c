/* addr_demo.c - smallest consumer of the installed library (spec V6). */
#include <stdio.h>
#include <string.h>
#include <x7/net.h>

int main(void) {
  static const char want[] = "0100000001000000307500007f000001";
  struct x7_bytes out = {NULL, 0};
  char hex[2 * 64 + 1] = "";
  size_t i;
  if(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 30000, &out) || out.len > 64)
    return 2;
  for(i = 0; i < out.len; i++)
    snprintf(hex + 2 * i, 3, "%02x", out.ptr[i]);
  x7_bytes_free(&out);
  printf("%s\n", hex);
  return strcmp(hex, want) ? 1 : 0;
}
