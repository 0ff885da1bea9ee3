{
  "targets": [
    {
      "target_name": "synack_tun",
      "sources": ["native/tun.c", "native/vnet.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
