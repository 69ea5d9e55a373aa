package configs

import (
	"reflect"
	"strings"
)

// Flatten turns a typed default configuration into the flat, dotted keys viper takes as
// defaults: {"broker.listen": "127.0.0.1:1883", ...}, under prefix (empty at the top). The
// keys are the structs' mapstructure tags; a list of structs is a list of maps (zones);
// fields tagged "-" are not configuration and are left out.
func Flatten(prefix string, v any) map[string]any {
	out := map[string]any{}
	flatten(out, prefix, reflect.ValueOf(v))
	return out
}

func flatten(out map[string]any, prefix string, v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if name == "-" || name == "" || !f.IsExported() {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := v.Field(i)
		switch {
		case fv.Kind() == reflect.Struct && fv.Type().PkgPath() != "time":
			flatten(out, key, fv)
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			list := make([]map[string]any, fv.Len())
			for j := range fv.Len() {
				list[j] = Flatten("", fv.Index(j).Interface())
			}
			out[key] = list
		default:
			out[key] = fv.Interface()
		}
	}
}
