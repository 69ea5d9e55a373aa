package server

import (
	"testing"

	"github.com/go-viper/mapstructure/v2"
)

// TestDefaultsAgree keeps the defaults map (for viper) and DefaultConfig in step.
func TestDefaultsAgree(t *testing.T) {
	m := map[string]any{}
	for k, v := range Defaults() {
		key := k[len("broker."):]
		if i := len("tls."); len(key) > i && key[:i] == "tls." {
			sub, _ := m["tls"].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				m["tls"] = sub
			}
			sub[key[i:]] = v
			continue
		}
		if i := len("websocket."); len(key) > i && key[:i] == "websocket." {
			sub, _ := m["websocket"].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				m["websocket"] = sub
			}
			sub[key[i:]] = v
			continue
		}
		m[key] = v
	}
	var c Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &c, DecodeHook: mapstructure.StringToTimeDurationHookFunc()})
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(m); err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.Listen != d.Listen || c.Prefix != d.Prefix || c.Anonymous != d.Anonymous || c.AnonymousRole != d.AnonymousRole ||
		c.MaxClients != d.MaxClients || c.MaxPerRemote != d.MaxPerRemote || c.MaxPacket != d.MaxPacket ||
		c.MaxInflight != d.MaxInflight || c.MaxTopic != d.MaxTopic || c.Embedded != d.Embedded || c.ClientRetention != d.ClientRetention || c.ConnectTimeout != d.ConnectTimeout {
		t.Errorf("Defaults() gives %+v, DefaultConfig() %+v", c, d)
	}
}
