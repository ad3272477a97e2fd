{
  "targets": [
    {
      "target_name": "socktap",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/fast-engine.cc",
        "src/fast-head.cc",
        "src/fast-json.cc",
        "src/fast-lines.cc",
        "src/json-bytes.cc",
        "src/layout.cc",
        "src/reader.cc",
        "src/session.cc",
        "src/tracefs.cc"
      ],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "../bpf",
        "../bpf/.output"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    }
  ]
}
