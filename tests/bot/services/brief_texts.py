"""Two pasted briefs of the kind members forward to the bot: a harbour's e-mail in English and
a city department's e-mail in Finnish, each stating several needs among greetings, background,
a deadline and a signature (written for these tests, not taken from the demo records)."""

KIRKENES_EMAIL = """\
Subject: Partners for the Kirkenes harbour winter upgrade

Dear SCIC team,

The Port of Kirkenes is preparing for more year-round traffic as the Northern Sea Route opens up, and the municipality has set aside funding for a pilot in 2027. Our quays suffer from drifting sea ice and heavy ice loads every winter, and the harbour master has little real-time information about it. We are looking for partners who can help us with the following:

- monitoring sea ice and the loads it puts on the quays and moored ships
- shore power for visiting vessels, supplied from local wind and batteries because the grid connection is weak
- reliable connectivity for ships and port staff across the harbour area

We would also welcome ideas for keeping critical port functions running during power outages. The call for proposals closes at the end of March, and we expect a consortium of two to four members.

Best regards,
Ingrid Solberg
Port of Kirkenes
"""

#: The needs the Kirkenes e-mail states, as the bot reads them (places and asking words out).
KIRKENES_NEEDS = (
    "monitoring sea ice and the loads it puts on the quays and moored ships",
    "shore power for visiting vessels, supplied from local wind and batteries because the grid "
    "connection is weak",
    "reliable connectivity for ships and port staff across the harbour area",
    "keeping critical port functions running during power outages",
)

TAMPERE_EMAIL = """\
Aihe: Kumppaneita Tampereen kiinteistöjen talvipilottiin

Hei SCIC,

Tampereen kaupungin tilapalvelut valmistelee ensi talvelle pilottia, jossa kokeillaan uusia tapoja hoitaa kaupungin kouluja ja päiväkoteja. Viime talvena useiden koulujen katoille kertyi niin paljon lunta, että rakennuksia jouduttiin sulkemaan, ja samaan aikaan kaukolämmön huipputehon hinta nousi jyrkästi. Etsimme kumppaneita seuraaviin tarpeisiin:

1. kattojen lumikuorman mittaus ja hälytykset kiinteistöhuollolle
2. kaukolämmön kysyntäjousto koulujen ja päiväkotien lämmityksessä
3. sisäilman laadun jatkuva seuranta luokkahuoneissa

Lisäksi tarvitsemme järjestelmän, jolla huoltoyhtiö jakaa ja seuraa lumitöiden työtilaukset. Pilotin kohteina olisi aluksi kuusi koulua Hervannassa ja Tesomalla. Pilotin budjetti on noin 200 000 euroa ja hakemukset pitäisi jättää maaliskuun loppuun mennessä.

Ystävällisin terveisin
Mikko Lehtinen
Tampereen kaupunki, tilapalvelut
"""

TAMPERE_NEEDS = (
    "kattojen lumikuorman mittaus ja hälytykset kiinteistöhuollolle",
    "kaukolämmön kysyntäjousto koulujen ja päiväkotien lämmityksessä",
    "sisäilman laadun jatkuva seuranta luokkahuoneissa",
    "järjestelmän, jolla huoltoyhtiö jakaa ja seuraa lumitöiden työtilaukset",
)
