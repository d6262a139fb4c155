"""Names and citizenships for the demo data (`crocevia demo`) and the benchmarks (bench/).

Common given and family names per country of citizenship, spelt as they usually appear
on Italian residence permits; transliteration variants (Mohamed / Mohammed / Muhammad,
Ndèye / Ndeye, N'Diaye / Ndiaye) are kept on purpose, as they occur at a desk. The names
are generic: any resemblance to a real person is a coincidence of common names.
"""

# Persons served by the immigration desks of the Zona Pisana in 2018, per 693 (seed 000):
# Albania 136, Senegal 59, Morocco 51, North Macedonia 41 and the Philippines 34 lead;
# the rest are spread over the other usual countries of origin (and some Italians).
CITIZENSHIP_WEIGHTS: dict[str, int] = {
    "AL": 136,
    "SN": 59,
    "MA": 51,
    "MK": 41,
    "PH": 34,
    "RO": 32,
    "UA": 30,
    "NG": 28,
    "TN": 24,
    "PE": 24,
    "CN": 20,
    "PK": 20,
    "BD": 20,
    "EG": 18,
    "IT": 18,
    "LK": 12,
    "GE": 12,
    "MD": 12,
    "EC": 12,
    "CI": 10,
    "GM": 10,
    "IN": 10,
    "ML": 8,
    "BR": 8,
    "CM": 8,
    "GH": 8,
    "AF": 8,
    "CO": 8,
    "SO": 6,
    "ER": 6,
}

# The country of birth as python-codicefiscale names it (it resolves the Z-code).
CF_BIRTHPLACE: dict[str, str] = {
    "AL": "Albania",
    "SN": "Senegal",
    "MA": "Marocco",
    "MK": "Macedonia del Nord",
    "PH": "Filippine",
    "RO": "Romania",
    "UA": "Ucraina",
    "NG": "Nigeria",
    "TN": "Tunisia",
    "PE": "Perù",
    "CN": "Repubblica popolare cinese",
    "PK": "Pakistan",
    "BD": "Bangladesh",
    "EG": "Egitto",
    "LK": "Sri Lanka",
    "GE": "Georgia",
    "MD": "Moldova",
    "EC": "Ecuador",
    "CI": "Costa d'Avorio",
    "GM": "Gambia",
    "IN": "India",
    "ML": "Mali",
    "BR": "Brasile",
    "CM": "Camerun",
    "GH": "Ghana",
    "AF": "Afghanistan",
    "CO": "Colombia",
    "SO": "Somalia",
    "ER": "Eritrea",
}

# Italian Comuni of birth for Italians and for children born in Italy.
ITALIAN_BIRTHPLACES: tuple[str, ...] = (
    "Pisa",
    "Pisa",
    "Pisa",
    "Livorno",
    "Lucca",
    "Cascina",
    "Pontedera",
    "Firenze",
    "Napoli",
    "Palermo",
    "Roma",
    "Reggio di Calabria",
)

# fmt: off
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "AL": {
        "M": (
            "Arben", "Artan", "Besnik", "Gentian", "Ilir", "Kastriot", "Erion", "Fatmir",
            "Dritan", "Agron", "Ardit", "Bledar", "Edmond", "Ervin", "Genci", "Klodian",
            "Luan", "Marsel", "Sokol", "Elton", "Alban", "Arjan", "Florian", "Eduart",
        ),
        "F": (
            "Anila", "Blerina", "Elona", "Entela", "Fatjona", "Mirela", "Jonida", "Brunilda",
            "Dorina", "Elira", "Ermira", "Klodiana", "Lindita", "Manjola", "Rezarta",
            "Valbona", "Vjollca", "Xhesika", "Arta", "Alketa", "Enkeleda", "Besjana",
        ),
        "family": (
            "Hoxha", "Shehu", "Leka", "Kola", "Gjoka", "Prifti", "Dervishi", "Cela", "Basha",
            "Hysa", "Muça", "Rama", "Laçi", "Xhafa", "Duka", "Zeneli", "Mema", "Kurti",
            "Gjini", "Marku", "Bregu", "Lika", "Tafa", "Sula", "Brahimi", "Ismaili", "Koçi",
            "Halili", "Deda", "Berisha",
        ),
    },
    "SN": {
        "M": (
            "Mamadou", "Moussa", "Ibrahima", "Cheikh", "Abdoulaye", "Modou", "Ousmane",
            "Babacar", "Pape", "Serigne", "Saliou", "Assane", "Amadou", "Malick", "Alioune",
            "Mouhamed", "Mohamed", "Lamine", "Omar", "Souleymane", "El Hadji", "Ndiaga",
        ),
        "F": (
            "Fatou", "Aminata", "Awa", "Ndèye", "Ndeye", "Mariama", "Khady", "Astou",
            "Coumba", "Aïssatou", "Mame Diarra", "Sokhna", "Adama", "Bineta", "Rokhaya",
            "Seynabou", "Dieynaba", "Fatoumata",
        ),
        "family": (
            "Diop", "Ndiaye", "N'Diaye", "Fall", "Sow", "Diallo", "Sarr", "Gueye", "Faye",
            "Ba", "Mbaye", "Cissé", "Seck", "Niang", "Thiam", "Sy", "Diouf", "Ndoye", "Kane",
            "Touré", "Mbengue", "Diagne", "Sall", "Camara", "Wade", "Lo", "Samb", "Dieng",
        ),
    },
    "MA": {
        "M": (
            "Mohamed", "Mohammed", "Ahmed", "Youssef", "Said", "Rachid", "Abdelaziz",
            "Mustapha", "Hassan", "Khalid", "Abdellah", "Hicham", "Karim", "Nabil", "Omar",
            "Driss", "Mehdi", "Aziz", "Abdelkader", "Brahim", "Jamal", "Noureddine",
            "Redouane", "Anas",
        ),
        "F": (
            "Fatima", "Khadija", "Naima", "Samira", "Fatiha", "Hanane", "Malika", "Nadia",
            "Latifa", "Zineb", "Imane", "Soumia", "Hafida", "Rachida", "Saida", "Meryem",
            "Salma", "Karima", "Loubna", "Asmae",
        ),
        "family": (
            "El Amrani", "Benali", "Bennani", "El Idrissi", "Alaoui", "Tazi", "Berrada",
            "Ouazzani", "El Fassi", "Chraibi", "Lahlou", "Belhaj", "Bouzid", "El Khatib",
            "Amrani", "Haddad", "Naciri", "Ziani", "Ait Ali", "Ait Ouali", "Boukhari",
            "Lamrani", "Moussaoui", "Mansouri", "El Ouardi", "Benjelloun",
        ),
    },
    "MK": {
        "M": (
            "Aleksandar", "Goran", "Dejan", "Zoran", "Nikola", "Igor", "Vlatko", "Bojan",
            "Darko", "Stefan", "Blagoja", "Dragan", "Arben", "Bujar", "Agim", "Fatmir",
            "Shpend", "Muamet", "Ilir", "Nexhmedin", "Valmir",
        ),
        "F": (
            "Biljana", "Marija", "Elena", "Snežana", "Vesna", "Jasmina", "Ana", "Tanja",
            "Gordana", "Katerina", "Violeta", "Liljana", "Aferdita", "Mimoza", "Lirije",
            "Fitore", "Shpresa", "Merita", "Lumnije", "Arlinda",
        ),
        "family": (
            "Stojanovski", "Petrovski", "Nikolovski", "Trajkovski", "Jovanovski", "Ristovski",
            "Dimitrovski", "Angelovski", "Georgievski", "Kostovski", "Ilievski",
            "Stefanovski", "Mitrevski", "Spasovski", "Bajrami", "Ademi", "Memeti", "Rexhepi",
            "Sulejmani", "Iseni", "Jashari", "Aliu", "Ramadani", "Idrizi", "Asani", "Selmani",
            "Zeqiri", "Emini", "Osmani",
        ),
    },
    "PH": {
        "M": (
            "Jose", "Juan", "Mark", "John Paul", "Ramon", "Rodel", "Jerome", "Arnel",
            "Rommel", "Ronaldo", "Jhon", "Noel", "Ariel", "Jayson", "Christian", "Reynaldo",
            "Danilo", "Edgardo", "Emmanuel", "Rogelio",
        ),
        "F": (
            "Maria", "Maricel", "Marilou", "Rosalie", "Lorna", "Jocelyn", "Analyn", "Marites",
            "Gemma", "Cristina", "Rowena", "Mylene", "Jennifer", "Maribel", "Rosemarie",
            "Divina", "Evangeline", "Leonora", "Cherry", "Maria Theresa",
        ),
        "family": (
            "Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Torres",
            "Tomas", "Andrada", "Castillo", "Flores", "Villanueva", "Ramos", "Castro",
            "Rivera", "Aquino", "Navarro", "Salazar", "Mercado", "Dela Cruz", "De Guzman",
            "Del Rosario", "Manalo", "Pascual", "Soriano", "Dizon", "Gonzales", "Macaraeg",
        ),
    },
    "RO": {
        "M": (
            "Ion", "Gheorghe", "Vasile", "Constantin", "Andrei", "Alexandru", "Mihai",
            "Florin", "Adrian", "Cristian", "Marius", "Daniel", "Ionuț", "Bogdan", "Nicolae",
            "Sorin", "Cătălin", "Gabriel", "Dumitru", "Ștefan", "Costel", "Valentin",
        ),
        "F": (
            "Maria", "Elena", "Ioana", "Ana", "Mihaela", "Andreea", "Cristina", "Daniela",
            "Gabriela", "Florentina", "Nicoleta", "Alina", "Roxana", "Georgeta", "Loredana",
            "Simona", "Violeta", "Camelia", "Mariana", "Luminița",
        ),
        "family": (
            "Popescu", "Popa", "Ionescu", "Pop", "Dumitru", "Stan", "Stoica", "Gheorghe",
            "Matei", "Ciobanu", "Rusu", "Munteanu", "Constantin", "Marin", "Florea",
            "Moldovan", "Dinu", "Lungu", "Tudor", "Cristea", "Ene", "Barbu", "Nistor", "Toma",
            "Radu", "Ungureanu", "Dobre", "Mocanu", "Enache",
        ),
    },
    "UA": {
        "M": (
            "Oleksandr", "Serhii", "Andrii", "Volodymyr", "Mykola", "Ivan", "Vasyl", "Petro",
            "Yurii", "Dmytro", "Oleh", "Viktor", "Ihor", "Taras", "Bohdan", "Roman",
            "Vitalii", "Maksym",
        ),
        "F": (
            "Olena", "Nataliia", "Tetiana", "Oksana", "Iryna", "Svitlana", "Halyna",
            "Liudmyla", "Mariia", "Yuliia", "Nadiia", "Valentyna", "Larysa", "Olha",
            "Kateryna", "Alla", "Hanna", "Lesia", "Inna", "Viktoriia",
        ),
        "family": (
            "Melnyk", "Shevchenko", "Boiko", "Kovalenko", "Bondarenko", "Tkachenko",
            "Kovalchuk", "Kravchenko", "Oliinyk", "Shevchuk", "Koval", "Polishchuk", "Bondar",
            "Tkachuk", "Moroz", "Marchenko", "Lysenko", "Rudenko", "Savchenko", "Petrenko",
            "Kuzmenko", "Pavlenko", "Klymenko", "Ponomarenko", "Vasylenko", "Levchenko",
            "Kravets", "Hnatiuk", "Romaniuk",
        ),
    },
    "NG": {
        "M": (
            "Chukwuemeka", "Emeka", "Oluwaseun", "Tunde", "Adebayo", "Ikechukwu", "Chinedu",
            "Obinna", "Babatunde", "Uche", "Kelvin", "Godwin", "Friday", "Samuel", "Emmanuel",
            "Peter", "Osaro", "Osagie", "Efosa", "Osas",
        ),
        "F": (
            "Blessing", "Joy", "Precious", "Gift", "Faith", "Favour", "Ngozi", "Chioma",
            "Adaeze", "Funmilayo", "Folake", "Esther", "Patience", "Mercy", "Osarugue", "Ese",
            "Grace", "Comfort", "Happiness",
        ),
        "family": (
            "Okafor", "Okonkwo", "Eze", "Nwosu", "Obi", "Adeyemi", "Adebayo", "Okoro",
            "Ogunleye", "Ibrahim", "Abubakar", "Musa", "Bello", "Osagie", "Osaghae",
            "Igbinedion", "Omoregie", "Uwaifo", "Edosomwan", "Ehigiator", "Aigbe", "Idahosa",
            "Okoye", "Chukwu", "Onyeka", "Olawale", "Balogun", "Afolabi",
        ),
    },
    "TN": {
        "M": (
            "Mohamed", "Ahmed", "Ali", "Mehdi", "Sami", "Walid", "Karim", "Anis", "Hichem",
            "Nabil", "Bilel", "Sofiene", "Riadh", "Mourad", "Fethi", "Hamza", "Amine", "Tarek",
            "Lotfi", "Chokri",
        ),
        "F": (
            "Amel", "Fatma", "Salma", "Ines", "Rim", "Sana", "Leila", "Nadia", "Sonia", "Mouna",
            "Wafa", "Hela", "Samia", "Asma", "Olfa", "Rania", "Hajer", "Imen", "Nour", "Yosra",
        ),
        "family": (
            "Ben Ali", "Trabelsi", "Jlassi", "Gharbi", "Hammami", "Ben Salah", "Bouazizi",
            "Mejri", "Dridi", "Sassi", "Ayari", "Khelifi", "Chaabane", "Ben Ammar",
            "Ferchichi", "Mansour", "Jebali", "Riahi", "Hamdi", "Saidi", "Ben Youssef",
            "Guesmi", "Baccouche", "Ouertani", "Zouari",
        ),
    },
    "PE": {
        "M": (
            "José", "Luis", "Carlos", "Jorge", "Juan", "Miguel", "César", "Víctor", "Julio",
            "Jesús", "Manuel", "Pedro", "Raúl", "Walter", "Edwin", "Wilmer", "Percy", "Fredy",
            "Hugo", "Segundo",
        ),
        "F": (
            "María", "Rosa", "Carmen", "Ana", "Luz", "Juana", "Gladys", "Elizabeth",
            "Milagros", "Yolanda", "Flor", "Marleni", "Sonia", "Nelly", "Maribel", "Roxana",
            "Jessica", "Patricia", "Lucía", "Delia",
        ),
        "family": (
            "Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Huamán", "Mamani",
            "Chávez", "Ramírez", "Torres", "Vásquez", "Rojas", "Díaz", "Mendoza", "Castillo",
            "Gutiérrez", "Espinoza", "Ramos", "Cruz", "Vargas", "Condori", "Huanca",
            "Salazar", "Paredes", "Cárdenas", "Villanueva", "Aguilar", "Córdova",
        ),
    },
    "CN": {
        "M": (
            "Wei", "Jun", "Lei", "Yong", "Jian", "Tao", "Ming", "Hao", "Chao", "Jie", "Qiang",
            "Bin", "Gang", "Peng", "Xin", "Zhiwei", "Jianguo", "Haiyang", "Zhong", "Feng",
        ),
        "F": (
            "Li", "Fang", "Na", "Min", "Jing", "Yan", "Hong", "Xiuying", "Xiaoyan", "Hui",
            "Ying", "Juan", "Lan", "Mei", "Ling", "Qing", "Xia", "Ping", "Dan", "Lili",
        ),
        "family": (
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
            "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Zheng", "Ye", "Pan", "Jin",
            "Dong", "Xie",
        ),
    },
    "PK": {
        "M": (
            "Muhammad", "Ali", "Ahmed", "Imran", "Asif", "Kashif", "Bilal", "Usman", "Faisal",
            "Tariq", "Zahid", "Shahid", "Adnan", "Waqas", "Naveed", "Rizwan", "Kamran",
            "Sajid", "Arshad", "Javed", "Amir", "Hamza",
        ),
        "F": (
            "Ayesha", "Fatima", "Saima", "Nadia", "Sana", "Rabia", "Shazia", "Amina", "Bushra",
            "Samina", "Nazia", "Farzana", "Hina", "Uzma", "Asma", "Sadia", "Rukhsana", "Kiran",
        ),
        "family": (
            "Khan", "Ahmed", "Ali", "Hussain", "Iqbal", "Shah", "Butt", "Malik", "Raza",
            "Akhtar", "Rehman", "Aslam", "Anwar", "Qureshi", "Siddiqui", "Chaudhry", "Mahmood",
            "Javed", "Nawaz", "Abbas", "Rashid", "Yousaf", "Riaz", "Mirza", "Sheikh",
        ),
        "family_F": ("Bibi",),
    },
    "BD": {
        "M": (
            "Mohammad", "Md Abdul", "Rahim", "Karim", "Jahangir", "Shahidul", "Mizanur",
            "Rafiqul", "Aminul", "Kamal", "Jamal", "Habibur", "Saiful", "Mahbub", "Anisur",
            "Shafiqul", "Nurul", "Alamgir", "Sohel", "Rubel", "Masud",
        ),
        "F": (
            "Nasrin", "Shirin", "Roksana", "Rehana", "Parvin", "Salma", "Shahnaz", "Nargis",
            "Farida", "Rina", "Sumaiya", "Taslima", "Rokeya", "Jannatul", "Sharmin", "Moriom",
            "Sultana", "Hasina",
        ),
        "family": (
            "Hossain", "Rahman", "Islam", "Ahmed", "Uddin", "Alam", "Miah", "Chowdhury",
            "Sarkar", "Khan", "Sheikh", "Molla", "Haque", "Karim", "Bhuiyan", "Talukder",
            "Mondal", "Sikder", "Siddique", "Ali", "Biswas", "Das", "Roy",
        ),
        "family_F": ("Akter", "Begum", "Khatun"),
    },
    "IT": {
        "M": (
            "Marco", "Luca", "Andrea", "Giuseppe", "Francesco", "Alessandro", "Giovanni",
            "Roberto", "Stefano", "Paolo", "Massimo", "Fabio", "Simone", "Matteo", "Davide",
            "Lorenzo", "Riccardo", "Claudio", "Antonio", "Mario", "Federico", "Gabriele",
        ),
        "F": (
            "Maria", "Anna", "Giulia", "Francesca", "Chiara", "Sara", "Elena", "Laura",
            "Valentina", "Alessandra", "Silvia", "Federica", "Martina", "Paola", "Roberta",
            "Elisa", "Monica", "Barbara", "Cristina", "Simona", "Giovanna", "Lucia",
        ),
        "family": (
            "Rossi", "Bianchi", "Lazzeri", "Bertini", "Cecchi", "Giannini", "Puccinelli",
            "Pardini", "Niccolai", "Lenzi", "Baldacci", "Orsini", "Menichetti", "Bernardini",
            "Del Corso", "Fontana", "Galli", "Lombardi", "Ferrari", "Russo", "Esposito",
            "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti",
            "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Moretti", "Barbieri",
            "Ceccarelli", "Benvenuti", "Guidi", "Bacci",
        ),
    },
    "EG": {
        "M": (
            "Mohamed", "Ahmed", "Mahmoud", "Mostafa", "Ibrahim", "Hassan", "Hussein", "Ali",
            "Tarek", "Amr", "Sherif", "Karim", "Khaled", "Ayman", "Walid", "Ehab", "Hany",
            "Osama", "Sameh", "Wael",
        ),
        "F": (
            "Fatma", "Mona", "Nour", "Heba", "Aya", "Marwa", "Doaa", "Yasmin", "Rania", "Eman",
            "Amal", "Dina", "Hala", "Reham", "Shaimaa", "Nesma", "Sara", "Mai",
        ),
        "family": (
            "Mohamed", "Ahmed", "Hassan", "Ibrahim", "Mahmoud", "Abdelrahman", "El Sayed",
            "Mostafa", "Abdallah", "Salem", "Farouk", "Soliman", "Youssef", "Abdel Aziz",
            "Gaber", "Fawzy", "Ramadan", "Shehata", "Mansour", "Hamed", "Khalil", "Nasser",
            "Saad", "Attia",
        ),
    },
    "LK": {
        "M": (
            "Nuwan", "Chaminda", "Kasun", "Pradeep", "Ruwan", "Sanjeewa", "Nalaka", "Asanka",
            "Tharindu", "Dinesh", "Mahesh", "Suresh", "Lalith", "Janaka", "Sampath",
            "Chathura", "Roshan", "Prasanna",
        ),
        "F": (
            "Nadeesha", "Dilani", "Chamari", "Sanduni", "Nirosha", "Kumari", "Malani",
            "Shirani", "Anoma", "Chandrika", "Dilrukshi", "Ishani", "Sewwandi", "Thilini",
            "Priyanka", "Shalika", "Nilmini",
        ),
        "family": (
            "Perera", "Fernando", "De Silva", "Silva", "Jayasinghe", "Bandara", "Wijesinghe",
            "Gunawardena", "Rathnayake", "Dissanayake", "Herath", "Kumara", "Rajapaksha",
            "Wickramasinghe", "Senanayake", "Jayawardena", "Karunaratne", "Abeysekara",
            "Peiris", "Mendis", "Gamage", "Weerasinghe", "Liyanage", "Samarasinghe",
        ),
    },
    "GE": {
        "M": (
            "Giorgi", "Davit", "Levan", "Irakli", "Nikoloz", "Zurab", "Tamaz", "Gela", "Zaza",
            "Mamuka", "Revaz", "Lasha", "Luka", "Besik", "Vakhtang", "Shota", "Kakha", "Beka",
        ),
        "F": (
            "Nino", "Tamar", "Ketevan", "Mariam", "Natia", "Maia", "Eka", "Lela", "Manana",
            "Nana", "Tea", "Salome", "Marina", "Lali", "Irma", "Khatuna", "Sopio", "Nato",
        ),
        "family": (
            "Beridze", "Kapanadze", "Gelashvili", "Maisuradze", "Giorgadze", "Lomidze",
            "Tsiklauri", "Bolkvadze", "Kvaratskhelia", "Nozadze", "Khutsishvili", "Abashidze",
            "Japaridze", "Mikeladze", "Tsertsvadze", "Chkheidze", "Dolidze", "Gogoladze",
            "Kiknadze", "Mchedlishvili", "Jorbenadze", "Kharaishvili",
        ),
    },
    "MD": {
        "M": (
            "Ion", "Vasile", "Gheorghe", "Sergiu", "Andrei", "Alexandru", "Victor", "Nicolae",
            "Vladimir", "Igor", "Dumitru", "Mihai", "Valeriu", "Eugeniu", "Oleg", "Petru",
            "Veaceslav", "Iurie",
        ),
        "F": (
            "Maria", "Elena", "Natalia", "Tatiana", "Ana", "Svetlana", "Olga", "Irina", "Lilia",
            "Galina", "Ludmila", "Angela", "Diana", "Cristina", "Valentina", "Aliona",
            "Nadejda", "Victoria", "Mariana", "Doina",
        ),
        "family": (
            "Rusu", "Ceban", "Ciobanu", "Țurcan", "Cojocaru", "Lungu", "Munteanu", "Rotari",
            "Botnari", "Sârbu", "Popa", "Moraru", "Guțu", "Melnic", "Bivol", "Creangă",
            "Grosu", "Roșca", "Cazacu", "Balan", "Prodan", "Plămădeală", "Bejenaru", "Ursu",
        ),
    },
    "EC": {
        "M": (
            "Luis", "Carlos", "Jorge", "Juan Carlos", "Segundo", "Wilson", "Byron", "Fausto",
            "Patricio", "Marco", "Edison", "Fernando", "Diego", "Jhonny", "Holger", "Milton",
            "Ángel", "Geovanny",
        ),
        "F": (
            "María", "Rosa", "Carmen", "Blanca", "Mercedes", "Gloria", "Martha", "Narcisa",
            "Mónica", "Jessica", "Verónica", "Silvia", "Janeth", "Norma", "Lourdes", "Fanny",
            "Elsa", "Mayra",
        ),
        "family": (
            "Zambrano", "Vera", "Mora", "Cedeño", "Guerrero", "Macías", "Villacís", "Andrade",
            "Chávez", "Pazmiño", "Suárez", "Torres", "Loor", "Moreira", "Ortiz", "Carrión",
            "Jaramillo", "Ponce", "Intriago", "Herrera", "Pinargote", "Solórzano", "Alvarado",
            "Salazar",
        ),
    },
    "CI": {
        "M": (
            "Koffi", "Kouassi", "Yao", "Kouadio", "Konan", "Kouamé", "Seydou", "Moussa",
            "Adama", "Lassina", "Bakary", "Drissa", "Souleymane", "Ibrahim", "Yacouba",
            "Mamadou", "Brou", "N'Guessan",
        ),
        "F": (
            "Aya", "Affoué", "Adjoua", "Amenan", "Akissi", "Ahou", "Mariam", "Awa",
            "Fatoumata", "Salimata", "Kadidiatou", "Aminata", "Rokia", "Nathalie",
            "Christelle", "Sandrine",
        ),
        "family": (
            "Koné", "Kouassi", "Traoré", "Ouattara", "Coulibaly", "Diabaté", "Bamba", "Yao",
            "Kouamé", "N'Guessan", "Konan", "Kouadio", "Touré", "Cissé", "Fofana", "Soro",
            "Koffi", "Doumbia", "Diomandé", "Bakayoko", "Sanogo", "Aka", "Brou", "Yapi",
        ),
    },
    "GM": {
        "M": (
            "Lamin", "Ebrima", "Omar", "Modou", "Alieu", "Muhammed", "Sulayman", "Bakary",
            "Ousman", "Abdoulie", "Momodou", "Buba", "Musa", "Yusupha", "Sheriff", "Saikou",
            "Kebba", "Malick",
        ),
        "F": (
            "Fatou", "Isatou", "Mariama", "Awa", "Haddy", "Binta", "Kumba", "Jainaba",
            "Aminata", "Ndey", "Oumie", "Sainabou", "Nyima", "Satou", "Ramatoulie",
        ),
        "family": (
            "Jallow", "Ceesay", "Bah", "Sowe", "Jammeh", "Touray", "Darboe", "Sanneh",
            "Camara", "Jobe", "Njie", "Sonko", "Manneh", "Drammeh", "Jarju", "Saidy", "Bojang",
            "Colley", "Fofana", "Sillah", "Barrow", "Kinteh",
        ),
    },
    "IN": {
        "M": (
            "Gurpreet", "Harpreet", "Jaspreet", "Manpreet", "Sukhwinder", "Kuldeep",
            "Rajinder", "Paramjit", "Baljit", "Amandeep", "Sandeep", "Rajesh", "Suresh", "Ravi",
            "Amit", "Vikram", "Harjinder", "Jaswinder",
        ),
        "F": (
            "Gurpreet", "Harpreet", "Manpreet", "Jaspreet", "Simran", "Rajwinder",
            "Kulwinder", "Navjot", "Amandeep", "Sukhpreet", "Priya", "Sunita", "Anita", "Pooja",
            "Kamaljit", "Ramandeep",
        ),
        "family": (
            "Kumar", "Sharma", "Gill", "Sandhu", "Sidhu", "Dhillon", "Grewal", "Brar", "Virk",
            "Bains", "Saini", "Patel", "Verma", "Malhi", "Randhawa", "Chahal", "Mann", "Johal",
        ),
        "family_M": ("Singh", "Singh", "Singh"),
        "family_F": ("Kaur", "Kaur", "Kaur"),
    },
    "ML": {
        "M": (
            "Mamadou", "Moussa", "Bakary", "Seydou", "Drissa", "Boubacar", "Oumar", "Adama",
            "Souleymane", "Ibrahim", "Amadou", "Sékou", "Modibo", "Siaka", "Lassana",
            "Youssouf", "Mahamadou", "Abdoulaye",
        ),
        "F": (
            "Fatoumata", "Aminata", "Mariam", "Kadiatou", "Awa", "Oumou", "Assitan", "Aïssata",
            "Djeneba", "Rokia", "Hawa", "Salimata", "Kadidia", "Nana", "Korotoumou",
        ),
        "family": (
            "Traoré", "Coulibaly", "Diarra", "Keïta", "Konaté", "Sangaré", "Touré", "Diallo",
            "Cissé", "Dembélé", "Sissoko", "Doumbia", "Camara", "Kanté", "Maïga", "Sidibé",
            "Koné", "Dicko", "Bagayoko", "Samaké", "Diakité", "Fofana", "Sylla",
        ),
    },
    "BR": {
        "M": (
            "João", "Pedro", "Lucas", "Gabriel", "Rafael", "Felipe", "Thiago", "Bruno",
            "Rodrigo", "Marcelo", "Leandro", "Fábio", "Anderson", "Diego", "Gustavo",
            "Vinícius", "Eduardo", "Márcio",
        ),
        "F": (
            "Ana", "Maria", "Juliana", "Fernanda", "Patrícia", "Aline", "Camila", "Amanda",
            "Bruna", "Vanessa", "Luciana", "Tatiane", "Adriana", "Renata", "Priscila",
            "Daniela", "Simone", "Gabriela",
        ),
        "family": (
            "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
            "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
            "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento",
            "Andrade", "Moreira",
        ),
    },
    "CM": {
        "M": (
            "Jean", "Paul", "Emmanuel", "Joseph", "Serge", "Christian", "Hervé", "Armand",
            "Franck", "Boris", "Landry", "Patrick", "Blaise", "Didier", "Alain", "Rodrigue",
            "Ibrahim", "Junior",
        ),
        "F": (
            "Marie", "Jeanne", "Christelle", "Sandrine", "Carine", "Nadège", "Brigitte",
            "Pélagie", "Mireille", "Estelle", "Vanessa", "Laure", "Flore", "Clarisse",
            "Solange", "Aïcha",
        ),
        "family": (
            "Fotso", "Kamga", "Tchamba", "Mbarga", "Ngono", "Essomba", "Atangana", "Ndongo",
            "Fouda", "Onana", "Mballa", "Tagne", "Kengne", "Djoumessi", "Nkodo", "Owona",
            "Tchakounte", "Wamba", "Simo", "Ngassa",
        ),
    },
    "GH": {
        "M": (
            "Kwame", "Kofi", "Kwabena", "Kwaku", "Yaw", "Kwadwo", "Kojo", "Emmanuel", "Isaac",
            "Samuel", "Daniel", "Ebenezer", "Prince", "Richard", "Michael", "Eric", "Francis",
            "Stephen",
        ),
        "F": (
            "Akosua", "Abena", "Ama", "Afua", "Yaa", "Adwoa", "Akua", "Esi", "Efua", "Comfort",
            "Gifty", "Mercy", "Patience", "Vida", "Joyce", "Doris", "Linda", "Beatrice",
        ),
        "family": (
            "Mensah", "Owusu", "Boateng", "Asante", "Osei", "Agyeman", "Appiah", "Ofori",
            "Amoah", "Addo", "Darko", "Acheampong", "Danso", "Asamoah", "Antwi", "Kyei",
            "Adjei", "Opoku", "Sarpong", "Frimpong", "Ansah", "Bonsu",
        ),
    },
    "AF": {
        "M": (
            "Mohammad", "Ahmad", "Abdul", "Ali", "Reza", "Hamid", "Jawad", "Nasir", "Farid",
            "Rahim", "Khalid", "Mustafa", "Sayed", "Hussain", "Wahid", "Zabihullah", "Naveed",
            "Habib", "Shafiq", "Mirwais",
        ),
        "F": (
            "Fatima", "Zahra", "Maryam", "Sakina", "Marzia", "Nargis", "Shakila", "Farzana",
            "Parwana", "Fereshta", "Laila", "Zainab", "Mahbooba", "Masooma", "Hamida",
            "Nilofar",
        ),
        "family": (
            "Ahmadi", "Rahimi", "Hashimi", "Hussaini", "Mohammadi", "Karimi", "Azizi",
            "Sultani", "Noori", "Sadat", "Haidari", "Rezai", "Jafari", "Amiri", "Popal",
            "Wardak", "Safi", "Stanikzai", "Rahmani", "Hakimi", "Nazari", "Yousufzai",
        ),
    },
    "CO": {
        "M": (
            "Juan David", "Andrés", "Carlos", "Jhon", "Diego", "Jorge", "Luis Fernando",
            "Alejandro", "Camilo", "Sebastián", "Julián", "Óscar", "Mauricio", "Felipe",
            "Esteban", "Wilson", "Fabián", "Hernán",
        ),
        "F": (
            "Paola", "Diana", "Carolina", "Sandra", "Marcela", "Claudia", "Natalia", "Andrea",
            "Luz Marina", "Yolanda", "Lina", "Viviana", "Adriana", "Liliana", "Johana",
            "Catalina", "Daniela", "Maritza",
        ),
        "family": (
            "Rodríguez", "Gómez", "González", "Martínez", "García", "López", "Hernández",
            "Sánchez", "Ramírez", "Pérez", "Díaz", "Muñoz", "Rojas", "Moreno", "Jiménez",
            "Vargas", "Castro", "Gutiérrez", "Ospina", "Restrepo", "Valencia", "Cardona",
            "Zapata", "Londoño",
        ),
    },
    "SO": {
        "M": (
            "Abdirahman", "Abdullahi", "Mohamed", "Ahmed", "Hassan", "Ali", "Abdi", "Omar",
            "Yusuf", "Ismail", "Abdikarim", "Mahad", "Farah", "Liban", "Said", "Hussein",
            "Mohamud", "Osman",
        ),
        "F": (
            "Fadumo", "Hodan", "Amina", "Sahra", "Halima", "Ifrah", "Asha", "Hawa", "Khadija",
            "Maryan", "Faadumo", "Nasra", "Ubah", "Sagal", "Ayan", "Deeqa",
        ),
        "family": (
            "Mohamed", "Ahmed", "Hassan", "Ali", "Abdi", "Omar", "Farah", "Yusuf", "Warsame",
            "Osman", "Ismail", "Jama", "Hussein", "Aden", "Abdullahi", "Mohamud", "Nur",
            "Egal", "Dirie", "Hersi", "Elmi", "Guled",
        ),
    },
    "ER": {
        "M": (
            "Yonas", "Tesfay", "Mulugeta", "Daniel", "Yohannes", "Samuel", "Filmon", "Biniam",
            "Ermias", "Habtom", "Tekle", "Mehari", "Semere", "Kibrom", "Michael", "Tesfaldet",
            "Amanuel", "Dawit",
        ),
        "F": (
            "Helen", "Selam", "Senait", "Mebrat", "Ruth", "Saba", "Rahel", "Tsega", "Luwam",
            "Winta", "Feven", "Hiwet", "Semhar", "Yordanos", "Elsa", "Azieb",
        ),
        "family": (
            "Tesfamariam", "Gebremedhin", "Haile", "Tekle", "Ghebreyesus", "Woldemichael",
            "Berhane", "Kidane", "Tesfay", "Gebru", "Habte", "Asfaha", "Mehari", "Negash",
            "Yohannes", "Abraha", "Tewolde", "Ghirmay", "Araya", "Ogbazghi",
        ),
    },
}
# fmt: on


def given_names(country: str, sex: str) -> tuple[str, ...]:
    """Given names for a sex ("M" or "F") in a country of citizenship."""
    return NAMES[country][sex]


def family_names(country: str, sex: str) -> tuple[str, ...]:
    """Family names in a country, with those borne by one sex only (Singh, Kaur, Begum)."""
    names = NAMES[country]
    return names["family"] + names.get(f"family_{sex}", ())
